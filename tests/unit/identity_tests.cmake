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
