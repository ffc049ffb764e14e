# MIKE key agreement: the TGDH key tree over X25519 and HKDF-SHA256 (pure library: no sockets).
# Included from controlplane/CMakeLists.txt; the spec is docs/protocol/mike-key-tree.md.
add_library(mcsec_control_mike STATIC
    ${CMAKE_CURRENT_LIST_DIR}/src/mike_error.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/x25519.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/hkdf.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/key_tree.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/tree_codec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/derivations.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/tree_member.cpp)
target_include_directories(mcsec_control_mike PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
# mcsec_control_idp: group keying runs on IDP's clock and membership events; the messages use
# its byte reader and writer.
target_link_libraries(mcsec_control_mike PUBLIC mcsec_control_common mcsec_control_idp mcsec_control_access mcsec_config
                                         OpenSSL::Crypto PRIVATE mcsec_warnings)
include(${CMAKE_CURRENT_LIST_DIR}/protocol.cmake)
