# The operator API of mcsec-controld (docs/protocol/operator-api.md): newline-delimited JSON on
# a Unix socket, served on the daemon's io_context through the OperatorBackend interface, and
# the blocking client mcsecctl uses. Included from controlplane/CMakeLists.txt.
# nlohmann_json is found (with a clear error naming its package) in cmake/Dependencies.cmake.
add_library(mcsec_control_api STATIC
    ${CMAKE_CURRENT_LIST_DIR}/src/dispatch.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/operator_client.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/operator_server.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/operator_session.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/request.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/response.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/socket_file.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/socket_path.cpp)
target_include_directories(mcsec_control_api PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
# Public: the API headers expose nlohmann::json (results) and Asio (the server's io_context).
target_link_libraries(mcsec_control_api PUBLIC nlohmann_json::nlohmann_json Boost::headers
                                        PRIVATE mcsec_warnings)
