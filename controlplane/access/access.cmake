# The group policy database's decisions: a node's role in a protected group from the group's
# access list (docs/protocol/mike.md, "Group access"). Pure functions, no sockets or clock.
# Included from controlplane/CMakeLists.txt.
add_library(mcsec_control_access STATIC ${CMAKE_CURRENT_LIST_DIR}/src/group_access.cpp)
target_include_directories(mcsec_control_access PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
# mcsec_control_identity: certificate subject attributes (OU, SAN) are matched against the list.
target_link_libraries(mcsec_control_access PUBLIC mcsec_control_common mcsec_control_identity
                                           mcsec_config PRIVATE mcsec_warnings)
