# The IDP discovery module's tests; included from tests/CMakeLists.txt. Everything runs on a
# simulated clock: no sockets, no sleeps.
include(GoogleTest)

add_executable(idp_test
    unit/idp_codec_test.cpp
    unit/idp_corpus_test.cpp
    unit/idp_hello_sender_test.cpp
    unit/idp_peer_table_test.cpp
    unit/idp_prefix_codec_test.cpp
    unit/idp_prefix_exchange_test.cpp
    unit/idp_test_authenticator.cpp)
target_link_libraries(idp_test PRIVATE mcsec_control_idp GTest::gtest_main mcsec_warnings)
target_compile_definitions(idp_test PRIVATE
    MCSEC_IDP_HELLO_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/idp_hello"
    MCSEC_IDP_PREFIX_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/idp_prefix")
# The "idp." prefix lets `ctest -R idp` select exactly these tests.
gtest_discover_tests(idp_test TEST_PREFIX "idp." DISCOVERY_TIMEOUT 30)

# Writes the fuzz seed corpora (run by hand when a wire format changes):
#   idp_make_seeds tests/fuzz/corpus/idp_hello tests/fuzz/corpus/idp_prefix
add_executable(idp_make_seeds fuzz/make_idp_seeds.cpp unit/idp_test_authenticator.cpp)
target_link_libraries(idp_make_seeds PRIVATE mcsec_control_idp mcsec_warnings)

if(MCSEC_FUZZ)
    add_executable(fuzz_idp_hello fuzz/fuzz_idp_hello.cpp)
    target_link_libraries(fuzz_idp_hello PRIVATE mcsec_control_idp mcsec_warnings)
    target_link_options(fuzz_idp_hello PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_idp_hello)
    # Replays the seed corpus (and every crash reproducer added to it) without mutating.
    add_test(NAME fuzz.idp_hello_corpus
             COMMAND fuzz_idp_hello -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/idp_hello)

    add_executable(fuzz_idp_prefix fuzz/fuzz_idp_prefix.cpp)
    target_link_libraries(fuzz_idp_prefix PRIVATE mcsec_control_idp mcsec_warnings)
    target_link_options(fuzz_idp_prefix PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_idp_prefix)
    add_test(NAME fuzz.idp_prefix_corpus
             COMMAND fuzz_idp_prefix -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/idp_prefix)
endif()

# The shared control-plane frame and fields (controlplane/wire), used by IDP, MIKE, registration.
add_executable(wire_test unit/wire_frame_test.cpp unit/idp_test_authenticator.cpp)
target_link_libraries(wire_test PRIVATE mcsec_control_wire GTest::gtest_main mcsec_warnings)
gtest_discover_tests(wire_test TEST_PREFIX "wire." DISCOVERY_TIMEOUT 30)
