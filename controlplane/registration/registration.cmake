# The registration module (seed 001: REGISTER, DELETE, ACK, ALARM between members and the group's
# TM, SPI allocation), transport-free like IDP (docs/protocol/registration.md). Included from
# controlplane/CMakeLists.txt.
target_sources(mcsec_control PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/src/alarm_log.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/alarm_sender.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/diagnostics.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/dispatch.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/message_codec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/message_signer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/outbox.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/registration_client.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/registry.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/replay_guard.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/spi_allocator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/verdict.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/wire_format.cpp)
