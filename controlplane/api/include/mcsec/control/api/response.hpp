// The operator API's responses: {"ok":true,"result":...} or
// {"ok":false,"code":<ErrorCode>,"error":<text for the operator>}, one per line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mcsec/control/api/operator_backend.hpp"

namespace mcsec::control::api {

// Machine-readable reason of a failed request; the wire spelling is the snake_case name.
enum class ErrorCode {
    BadRequest,      // "bad_request": not JSON, not an object, wrong or unknown members
    UnknownCommand,  // "unknown_command": command or "what" the server does not know
    TooLarge,        // "too_large": the request line exceeded the limit; the server closes
    Rejected,        // "rejected": the daemon refused it (OperatorError), e.g. unknown group
    Internal,        // "internal": the daemon failed while answering
    Busy,            // "busy": too many operator connections; the server closes
};

std::string_view to_string(ErrorCode code) noexcept;

Json ok_response(Json result);
Json error_response(ErrorCode code, std::string_view message);

// `response` as one line: compact JSON and '\n'. Never throws: invalid UTF-8 in a string a
// backend produced is replaced rather than aborting the answer.
std::string to_line(const Json& response);

// A response as the client sees it.
struct Response {
    bool ok = false;
    Json result;        // when ok
    std::string code;   // when !ok (kept as text: a newer server may send a code we lack)
    std::string error;  // when !ok
};

// Parses one response line; nullopt with `error` set when it is not a valid response.
std::optional<Response> parse_response(std::string_view line, std::string& error);

}  // namespace mcsec::control::api
