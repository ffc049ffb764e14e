# MIKE key agreement: the TGDH key tree over X25519 and HKDF-SHA256 (pure library: no sockets).
# Included from controlplane/CMakeLists.txt; the spec is docs/protocol/mike-key-tree.md.
target_sources(mcsec_control PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/src/mike_error.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/x25519.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/hkdf.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/key_tree.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/tree_codec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/derivations.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/tree_member.cpp)
target_link_libraries(mcsec_control PUBLIC OpenSSL::Crypto)
include(${CMAKE_CURRENT_LIST_DIR}/protocol.cmake)
