# The IDP discovery module: hello codec and peer table, prefix exchange, all transport-free
# (docs/protocol/idp.md). Included from controlplane/CMakeLists.txt.
add_library(mcsec_control_idp STATIC
    ${CMAKE_CURRENT_LIST_DIR}/src/hello_codec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/hello_sender.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/hello_verdict.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/idp_event.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/peer_table.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/prefix_codec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/prefix_exchange.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/prefix_verdict.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/wire_fields.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/wire_format.cpp)
target_include_directories(mcsec_control_idp PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(mcsec_control_idp PUBLIC mcsec_control_common mcsec_control_wire mcsec_config
                                        PRIVATE mcsec_warnings)
