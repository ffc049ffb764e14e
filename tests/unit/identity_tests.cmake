# The identity module's tests (controlplane/identity); included from tests/CMakeLists.txt.
# They build their own throwaway PKI with the OpenSSL API, and run tools/mcsec-pki.
include(GoogleTest)

add_executable(identity_test
    ${CMAKE_CURRENT_LIST_DIR}/identity_test_pki.cpp
    ${CMAKE_CURRENT_LIST_DIR}/identity_x509_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/identity_psk_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/identity_failure_cache_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/identity_tls_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/identity_pki_tool_test.cpp)
target_link_libraries(identity_test PRIVATE mcsec_control_identity GTest::gtest_main mcsec_warnings)
target_compile_definitions(identity_test PRIVATE
    MCSEC_PKI_TOOL="${PROJECT_SOURCE_DIR}/tools/mcsec-pki")
# The "identity." prefix lets `ctest -R identity` select exactly these tests.
gtest_discover_tests(identity_test TEST_PREFIX "identity." DISCOVERY_TIMEOUT 30)

if(MCSEC_FUZZ)
    # The certificate attributes a group access list matches (ou:, dns:), from peers' DER.
    add_executable(fuzz_certificate_attributes
                   ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_certificate_attributes.cpp)
    target_link_libraries(fuzz_certificate_attributes PRIVATE mcsec_control_identity
                                                              mcsec_warnings)
    target_link_options(fuzz_certificate_attributes PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_certificate_attributes)
    # Replays the seed corpus (and every crash reproducer added to it) without mutating.
    add_test(NAME fuzz.certificate_attributes_corpus
             COMMAND fuzz_certificate_attributes -runs=0
                     ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/certificate_attributes)
endif()
