# MIKE key-tree tests and fuzz target; included from tests/CMakeLists.txt.
include(GoogleTest)

add_executable(mike_test
    ${CMAKE_CURRENT_LIST_DIR}/mike_crypto_vectors_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mike_key_tree_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mike_tree_codec_test.cpp)
target_link_libraries(mike_test PRIVATE mcsec_control_mike GTest::gtest_main mcsec_warnings)
# The "mike." prefix lets `ctest -R mike` select exactly these tests.
gtest_discover_tests(mike_test TEST_PREFIX "mike." DISCOVERY_TIMEOUT 30)

if(MCSEC_FUZZ)
    add_executable(fuzz_mike_tree ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_mike_tree.cpp)
    target_link_libraries(fuzz_mike_tree PRIVATE mcsec_control_mike mcsec_warnings)
    target_link_options(fuzz_mike_tree PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_mike_tree)
    # Replays the seed corpus (and every crash reproducer added to it) without mutating.
    add_test(NAME fuzz.mike_tree_corpus
             COMMAND fuzz_mike_tree -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/mike_tree)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/mike_protocol_tests.cmake)
