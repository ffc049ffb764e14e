# LKH key distribution to receive-only members (RFC 2627; docs/protocol/lkh.md): the key
# server's tree, a receiver's keys, AES key wrap and the push messages (pure library: no
# sockets, no clock). Included from controlplane/CMakeLists.txt. mcsec_control_mike: the TEK is
# MIKE's epoch key, and registration uses its X25519 and HKDF.
add_library(mcsec_control_lkh STATIC
    ${CMAKE_CURRENT_LIST_DIR}/src/key_wrap.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/seed_chain.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/key_server.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/key_server_state.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/receiver_keys.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/push_message.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/push_schedule.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/key_distribution.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/distribution_state.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/lkh_alarm.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/key_reception.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/receiver_registration.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/tree_replica.cpp)
target_include_directories(mcsec_control_lkh PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(mcsec_control_lkh PUBLIC mcsec_control_common mcsec_control_wire mcsec_control_mike
                                        OpenSSL::Crypto PRIVATE mcsec_warnings)
