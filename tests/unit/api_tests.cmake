# The operator API's tests; included from tests/CMakeLists.txt. The server tests use real Unix
# sockets in a temporary directory (no root needed), and the end-to-end tests run the mcsecctl
# binary of this build against a server with a fake backend.
include(GoogleTest)

add_executable(api_test
    unit/api_request_test.cpp
    unit/api_server_test.cpp
    unit/api_mcsecctl_test.cpp
    ${PROJECT_SOURCE_DIR}/tools/mcsecctl/json_table.cpp)
target_link_libraries(api_test PRIVATE mcsec_control_api GTest::gtest_main mcsec_warnings)
target_compile_definitions(api_test PRIVATE
    MCSECCTL_PATH="$<TARGET_FILE:mcsecctl>"
    MCSEC_API_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/api_request")
add_dependencies(api_test mcsecctl)
# The "api." prefix lets `ctest -R api` select exactly these tests.
gtest_discover_tests(api_test TEST_PREFIX "api." DISCOVERY_TIMEOUT 30)

if(MCSEC_FUZZ)
    add_executable(fuzz_api_request fuzz/fuzz_api_request.cpp)
    target_link_libraries(fuzz_api_request PRIVATE mcsec_control_api mcsec_warnings)
    target_link_options(fuzz_api_request PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_api_request)
    # Replays the seed corpus (and every crash reproducer added to it) without mutating.
    add_test(NAME fuzz.api_request_corpus
             COMMAND fuzz_api_request -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/api_request)
endif()
