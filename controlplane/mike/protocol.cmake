# MIKE protocol engine on top of the key tree: messages, replay window, SPI derivation and the
# per-group state machine (pure library: no sockets, no clock). Spec: docs/protocol/mike.md.
target_sources(mcsec_control_mike PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/messages.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/verdict.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/replay_window.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/spi.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/sender_id.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/phase.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/group_keying.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/member_role.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/protocol/tm_role.cpp)
