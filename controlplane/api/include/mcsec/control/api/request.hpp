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
// for the show targets ("receivers" with a "group"), {"command":"rekey"} (optional "group"),
// {"command":"revoke","group":G,"node":N} and {"command":"lkh-register","group":G}.
enum class Command {
    Status,
    Peers,
    Groups,
    Sas,
    Alarms,
    Counters,
    Receivers,
    Rekey,
    Revoke,
    LkhRegister
};

// The "what" of a show request ("status", "peers", ...), or "rekey".
std::string_view to_string(Command command) noexcept;

struct Request {
    Command command = Command::Status;
    // Rekey: the group to rekey, absent for every protected group. Receivers, Revoke,
    // LkhRegister: the group (required).
    std::optional<std::string> group;
    // Revoke: the receiver's node id.
    std::optional<std::string> node;

    friend bool operator==(const Request&, const Request&) = default;
};

struct RequestError {
    ErrorCode code = ErrorCode::BadRequest;
    std::string message;
};

using ParsedRequest = std::variant<Request, RequestError>;

// Longest group name a rekey request may carry (an IPv6 address text is at most 45).
inline constexpr std::size_t kMaxGroupLength = 64;
// Longest node id (as wire::is_valid_node_id allows).
inline constexpr std::size_t kMaxNodeLength = 32;

// Parses one request line (without its '\n'; a trailing '\r' is tolerated for interactive
// clients). Never throws; any byte sequence yields a Request or a RequestError.
ParsedRequest parse_request(std::string_view line);

// The JSON object parse_request() accepts for `request`.
Json encode_request(const Request& request);

}  // namespace mcsec::control::api
