// From a request line to a response line: parse, call the backend, frame the answer. Kept
// apart from the socket code so the fuzzer and unit tests drive it without a server.
#pragma once

#include <string>
#include <string_view>

#include "mcsec/control/api/operator_backend.hpp"
#include "mcsec/control/api/request.hpp"

namespace mcsec::control::api {

// Calls the backend for `request`. Never throws: OperatorError becomes a "rejected" response,
// any other exception an "internal" one.
Json dispatch(OperatorBackend& backend, const Request& request);

// parse_request() then dispatch(); returns the response line (with its '\n').
std::string handle_request_line(OperatorBackend& backend, std::string_view line);

}  // namespace mcsec::control::api
