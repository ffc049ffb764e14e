# The access module's tests (controlplane/access); included from tests/CMakeLists.txt.
add_executable(access_test ${CMAKE_CURRENT_LIST_DIR}/access_group_access_test.cpp)
target_link_libraries(access_test PRIVATE mcsec_control_access GTest::gtest_main mcsec_warnings)
gtest_discover_tests(access_test TEST_PREFIX "access." DISCOVERY_TIMEOUT 30)
