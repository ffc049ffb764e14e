// The operator API's requests: one JSON object per line, parsed strictly (unknown members are
// refused so that a misspelt option never silently does something else). Shared by the server,
// which parses, and mcsecctl, which encodes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mcsec/control/api/operator_backend.hpp"
#include "mcsec/control/api/response.hpp"

namespace mcsec::control::api {

// One value per OperatorBackend call. The wire spelling is {"command":"show","what":<name>}
// for the first six and {"command":"rekey"} for the last.
enum class Command { Status, Peers, Groups, Sas, Alarms, Counters, Rekey };

// The "what" of a show request ("status", "peers", ...), or "rekey".
std::string_view to_string(Command command) noexcept;

struct Request {
    Command command = Command::Status;
    // Rekey only: the group to rekey; absent means every protected group.
    std::optional<std::string> group;

    friend bool operator==(const Request&, const Request&) = default;
};

struct RequestError {
    ErrorCode code = ErrorCode::BadRequest;
    std::string message;
};

using ParsedRequest = std::variant<Request, RequestError>;

// Longest group name a rekey request may carry (an IPv6 address text is at most 45).
inline constexpr std::size_t kMaxGroupLength = 64;

// Parses one request line (without its '\n'; a trailing '\r' is tolerated for interactive
// clients). Never throws; any byte sequence yields a Request or a RequestError.
ParsedRequest parse_request(std::string_view line);

// The JSON object parse_request() accepts for `request`.
Json encode_request(const Request& request);

}  // namespace mcsec::control::api
