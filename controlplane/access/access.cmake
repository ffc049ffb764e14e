# The group policy database's decisions: a node's role in a protected group from the group's
# access list (docs/protocol/mike.md, "Group access"). Pure functions, no sockets or clock.
target_sources(mcsec_control PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src/group_access.cpp)
