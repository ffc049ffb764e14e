# The registration module (seed 001: REGISTER, DELETE, ACK, ALARM between members and the group's
# TM, SPI allocation), transport-free like IDP (docs/protocol/registration.md). Included from
# controlplane/CMakeLists.txt.
add_library(mcsec_control_registration STATIC
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
target_include_directories(mcsec_control_registration PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
# mcsec_control_idp: registration runs on IDP's clock and uses its wire helpers.
target_link_libraries(mcsec_control_registration PUBLIC mcsec_control_common mcsec_control_idp
                                                 mcsec_config PRIVATE mcsec_warnings)
