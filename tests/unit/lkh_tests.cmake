# LKH key distribution tests (key wrap vectors, the tree, the push messages) and the push
# message fuzz target; included from tests/CMakeLists.txt.
add_executable(lkh_test
    ${CMAKE_CURRENT_LIST_DIR}/lkh_key_wrap_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lkh_distribution_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lkh_push_message_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lkh_engine_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lkh_registration_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lkh_replica_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/idp_test_authenticator.cpp)
target_link_libraries(lkh_test PRIVATE mcsec_control_lkh GTest::gtest_main mcsec_warnings)
gtest_discover_tests(lkh_test TEST_PREFIX "lkh." DISCOVERY_TIMEOUT 30)

if(MCSEC_FUZZ)
    add_executable(fuzz_lkh_push ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_lkh_push.cpp)
    target_link_libraries(fuzz_lkh_push PRIVATE mcsec_control_lkh mcsec_warnings)
    target_link_options(fuzz_lkh_push PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_lkh_push)
    add_test(NAME fuzz.lkh_push_corpus
             COMMAND fuzz_lkh_push -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/lkh_push)
    add_executable(fuzz_lkh_registration ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_lkh_registration.cpp)
    target_link_libraries(fuzz_lkh_registration PRIVATE mcsec_control_lkh mcsec_warnings)
    target_link_options(fuzz_lkh_registration PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_lkh_registration)
    add_test(NAME fuzz.lkh_registration_corpus
             COMMAND fuzz_lkh_registration -runs=0
                     ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/lkh_registration)
    add_executable(fuzz_lkh_replica ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_lkh_replica.cpp)
    target_link_libraries(fuzz_lkh_replica PRIVATE mcsec_control_lkh mcsec_warnings)
    target_link_options(fuzz_lkh_replica PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_lkh_replica)
    add_test(NAME fuzz.lkh_replica_corpus
             COMMAND fuzz_lkh_replica -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/lkh_replica)
endif()

# Writes the LKH fuzz seed corpora (push, registration, replica) in the current wire format:
#   lkh_make_seeds tests/fuzz/corpus
add_executable(lkh_make_seeds ${CMAKE_CURRENT_LIST_DIR}/../fuzz/make_lkh_seeds.cpp
                              ${CMAKE_CURRENT_LIST_DIR}/idp_test_authenticator.cpp)
target_link_libraries(lkh_make_seeds PRIVATE mcsec_control_lkh mcsec_warnings)
