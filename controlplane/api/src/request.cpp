#include "mcsec/control/api/request.hpp"

#include <array>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>

namespace mcsec::control::api {

namespace {

// The show targets in wire spelling.
constexpr std::array<std::pair<std::string_view, Command>, 7> kShowTargets{{
    {"status", Command::Status},
    {"peers", Command::Peers},
    {"groups", Command::Groups},
    {"sas", Command::Sas},
    {"alarms", Command::Alarms},
    {"counters", Command::Counters},
    {"receivers", Command::Receivers},
}};

RequestError bad_request(std::string message) {
    return RequestError{ErrorCode::BadRequest, std::move(message)};
}

// Quotes a client-supplied string for an error message, cut short so that an error response
// never echoes a whole 64 KiB request back.
std::string quoted(const std::string& text) {
    constexpr std::size_t kMaxEcho = 40;
    if (text.size() <= kMaxEcho) return "'" + text + "'";
    return "'" + text.substr(0, kMaxEcho) + "...'";
}

// Every member of `object` must be in `allowed`.
std::optional<RequestError> check_members(const Json& object,
                                          std::initializer_list<std::string_view> allowed) {
    for (const auto& item : object.items()) {
        bool known = false;
        for (std::string_view name : allowed) known = known || item.key() == name;
        if (!known) return bad_request("unknown member " + quoted(item.key()));
    }
    return std::nullopt;
}

// A string member of 1..max characters: nullopt when absent (or null), else the value or the
// error.
std::variant<std::nullopt_t, std::string, RequestError> string_member(const Json& object,
                                                                      std::string_view name,
                                                                      std::size_t max) {
    const auto found = object.find(name);
    if (found == object.end() || found->is_null()) return std::nullopt;
    const std::string quoted_name = "\"" + std::string(name) + "\"";
    if (!found->is_string()) return bad_request(quoted_name + " must be a string");
    const auto& value = found->get_ref<const std::string&>();
    if (value.empty() || value.size() > max) {
        return bad_request(quoted_name + " must be 1.." + std::to_string(max) + " characters");
    }
    return value;
}

// Reads member `name` into `out`; `required` refuses its absence.
std::optional<RequestError> read_member(const Json& object, std::string_view name, std::size_t max,
                                        bool required, std::optional<std::string>& out) {
    auto value = string_member(object, name, max);
    if (auto* error = std::get_if<RequestError>(&value)) return *error;
    if (auto* text = std::get_if<std::string>(&value)) {
        out = std::move(*text);
    } else if (required) {
        return bad_request("needs \"" + std::string(name) + "\"");
    }
    return std::nullopt;
}

ParsedRequest parse_show(const Json& object) {
    if (auto error = check_members(object, {"command", "what", "group"})) return *error;
    const auto what = object.find("what");
    if (what == object.end()) return bad_request("show needs \"what\"");
    if (!what->is_string()) return bad_request("\"what\" must be a string");
    const auto& name = what->get_ref<const std::string&>();
    for (const auto& [wire, command] : kShowTargets) {
        if (name != wire) continue;
        Request request{command, std::nullopt, std::nullopt};
        const bool by_group = command == Command::Receivers;
        if (!by_group && object.contains("group")) {
            return bad_request("show " + name + " takes no \"group\"");
        }
        if (auto error = read_member(object, "group", kMaxGroupLength, by_group, request.group)) {
            return *error;
        }
        return request;
    }
    return RequestError{ErrorCode::UnknownCommand,
                        "unknown show target " + quoted(name) +
                            " (status, peers, groups, sas, alarms, counters, receivers)"};
}

ParsedRequest parse_rekey(const Json& object) {
    if (auto error = check_members(object, {"command", "group"})) return *error;
    Request request{Command::Rekey, std::nullopt, std::nullopt};
    if (auto error = read_member(object, "group", kMaxGroupLength, false, request.group)) {
        return *error;
    }
    return request;
}

ParsedRequest parse_revoke(const Json& object) {
    if (auto error = check_members(object, {"command", "group", "node"})) return *error;
    Request request{Command::Revoke, std::nullopt, std::nullopt};
    if (auto error = read_member(object, "group", kMaxGroupLength, true, request.group)) {
        return *error;
    }
    if (auto error = read_member(object, "node", kMaxNodeLength, true, request.node)) {
        return *error;
    }
    return request;
}

ParsedRequest parse_lkh_register(const Json& object) {
    if (auto error = check_members(object, {"command", "group"})) return *error;
    Request request{Command::LkhRegister, std::nullopt, std::nullopt};
    if (auto error = read_member(object, "group", kMaxGroupLength, true, request.group)) {
        return *error;
    }
    return request;
}

}  // namespace

std::string_view to_string(Command command) noexcept {
    switch (command) {
        case Command::Rekey:
            return "rekey";
        case Command::Revoke:
            return "revoke";
        case Command::LkhRegister:
            return "lkh-register";
        default:
            break;
    }
    for (const auto& [wire, target] : kShowTargets) {
        if (target == command) return wire;
    }
    return "?";
}

ParsedRequest parse_request(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // nlohmann's lexer reads a NUL byte as the end of input and would ignore what follows;
    // JSON never contains one unescaped, so it is refused up front.
    if (line.find('\0') != std::string_view::npos) return bad_request("request is not valid JSON");
    // No exceptions, no comments: anything that is not strict JSON is "discarded".
    const Json parsed = Json::parse(line.begin(), line.end(), nullptr, false);
    if (parsed.is_discarded()) return bad_request("request is not valid JSON");
    if (!parsed.is_object()) return bad_request("request must be a JSON object");
    const auto command = parsed.find("command");
    if (command == parsed.end()) return bad_request("request needs \"command\"");
    if (!command->is_string()) return bad_request("\"command\" must be a string");
    const auto& name = command->get_ref<const std::string&>();
    if (name == "show") return parse_show(parsed);
    if (name == "rekey") return parse_rekey(parsed);
    if (name == "revoke") return parse_revoke(parsed);
    if (name == "lkh-register") return parse_lkh_register(parsed);
    return RequestError{ErrorCode::UnknownCommand,
                        "unknown command " + quoted(name) + " (show, rekey, revoke, lkh-register)"};
}

Json encode_request(const Request& request) {
    const bool show = request.command != Command::Rekey && request.command != Command::Revoke &&
                      request.command != Command::LkhRegister;
    Json encoded =
        show ? Json{{"command", "show"}, {"what", std::string(to_string(request.command))}}
             : Json{{"command", std::string(to_string(request.command))}};
    if (request.group) encoded["group"] = *request.group;
    if (request.node) encoded["node"] = *request.node;
    return encoded;
}

}  // namespace mcsec::control::api
