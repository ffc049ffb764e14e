# The registration module's tests; included from tests/CMakeLists.txt. Everything runs on a
# simulated clock over an in-memory network: no sockets, no sleeps.
include(GoogleTest)

add_executable(registration_test
    unit/registration_client_test.cpp
    unit/registration_codec_test.cpp
    unit/registration_network_test.cpp
    unit/registration_registry_test.cpp
    unit/registration_spi_test.cpp
    unit/idp_test_authenticator.cpp)
target_link_libraries(registration_test PRIVATE mcsec_control_registration GTest::gtest_main mcsec_warnings)
target_compile_definitions(registration_test PRIVATE
    MCSEC_REGISTRATION_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/registration")
# The "registration." prefix lets `ctest -R registration` select exactly these tests.
gtest_discover_tests(registration_test TEST_PREFIX "registration." DISCOVERY_TIMEOUT 30)

if(MCSEC_FUZZ)
    add_executable(fuzz_registration fuzz/fuzz_registration.cpp)
    target_link_libraries(fuzz_registration PRIVATE mcsec_control_registration mcsec_warnings)
    target_link_options(fuzz_registration PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_registration)
    # Replays the seed corpus (and every crash reproducer added to it) without mutating.
    add_test(NAME fuzz.registration_corpus
             COMMAND fuzz_registration -runs=0
                     ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/registration)
endif()
