# The control-plane wire module: byte I/O, the shared fields (node id, address), the 6-byte
# header and the signed trailer that IDP, MIKE and registration all use (docs/protocol.md,
# "Wire frame"). Included from controlplane/CMakeLists.txt.
add_library(mcsec_control_wire STATIC
    ${CMAKE_CURRENT_LIST_DIR}/src/byte_io.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/fields.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/frame.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/node_id.cpp)
target_include_directories(mcsec_control_wire PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(mcsec_control_wire PUBLIC mcsec_control_common mcsec_config
                                         PRIVATE mcsec_warnings)
