# MIKE protocol engine tests (simulated clock and lossy network) and the message fuzz target;
# included from mike_tests.cmake.
add_executable(mike_protocol_test
    ${CMAKE_CURRENT_LIST_DIR}/mike_protocol_codec_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mike_protocol_group_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mike_protocol_rejection_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mike_protocol_access_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mike_protocol_phase_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_verdicts_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/idp_test_authenticator.cpp)
target_link_libraries(mike_protocol_test PRIVATE mcsec_control_mike GTest::gtest_main mcsec_warnings)
# The "mike." prefix keeps `ctest -R mike` selecting every MIKE test.
gtest_discover_tests(mike_protocol_test TEST_PREFIX "mike.protocol." DISCOVERY_TIMEOUT 30)

if(MCSEC_FUZZ)
    add_executable(fuzz_mike_messages ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_mike_messages.cpp)
    target_link_libraries(fuzz_mike_messages PRIVATE mcsec_control_mike mcsec_warnings)
    target_link_options(fuzz_mike_messages PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_mike_messages)
    # Replays the seed corpus (and every crash reproducer added to it) without mutating.
    add_test(NAME fuzz.mike_messages_corpus
             COMMAND fuzz_mike_messages -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/mike_messages)
endif()
