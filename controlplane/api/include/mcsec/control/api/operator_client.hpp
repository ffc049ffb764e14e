// A blocking client for the operator API, used by mcsecctl and the tests: one request per
// connection, bounded by a timeout so a wedged daemon cannot hang the operator's shell.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "mcsec/control/api/request.hpp"
#include "mcsec/control/api/response.hpp"

namespace mcsec::control::api {

enum class CallStatus {
    Answered,    // `response` holds the server's answer, ok or not
    NotRunning,  // no socket file, or nobody listening on it (a stale socket)
    Failed,      // connected, but no valid answer (timeout, I/O error, garbage)
};

struct CallResult {
    CallStatus status = CallStatus::Failed;
    Response response;  // when Answered
    std::string error;  // when NotRunning or Failed: what went wrong, for the operator
};

struct ClientOptions {
    std::chrono::milliseconds timeout = std::chrono::seconds(5);
    // Longest response line accepted; SA and peer tables of large deployments stay far below.
    std::size_t max_response_bytes = 16 * 1024 * 1024;
};

// Connects to `socket_path`, sends `request`, waits for its response line.
CallResult call_operator_api(const std::filesystem::path& socket_path, const Request& request,
                             const ClientOptions& options = {});

}  // namespace mcsec::control::api
