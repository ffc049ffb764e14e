# The config module's tests; included from tests/CMakeLists.txt.
include(GoogleTest)

add_executable(config_test
    ${CMAKE_CURRENT_LIST_DIR}/config_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config_ip_address_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config_samples_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config_secret_bytes_test.cpp)
target_link_libraries(config_test PRIVATE mcsec_config mcsec_warnings GTest::gtest_main)
target_compile_definitions(config_test PRIVATE
    MCSEC_SAMPLES_DIR="${MCSEC_TEST_SAMPLES_DIR}"
    MCSEC_CONFIG_CORPUS_DIR="${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/config")
# The "config." prefix lets `ctest -R config` select exactly these tests.
gtest_discover_tests(config_test TEST_PREFIX "config.")

if(MCSEC_FUZZ)
    add_executable(fuzz_config_loader ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_config_loader.cpp)
    target_link_libraries(fuzz_config_loader PRIVATE mcsec_config mcsec_warnings)
    target_link_options(fuzz_config_loader PRIVATE -fsanitize=fuzzer)
    # Replays the seed corpus (and every crash reproducer added to it) without mutating.
    add_test(NAME config.fuzz_config_loader_corpus
             COMMAND fuzz_config_loader -runs=0 ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/config)
endif()
