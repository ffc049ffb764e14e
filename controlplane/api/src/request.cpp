#include "mcsec/control/api/request.hpp"

#include <array>
#include <initializer_list>
#include <string>
#include <utility>

namespace mcsec::control::api {

namespace {

// The show targets in wire spelling, indexed by Command (Rekey is not a show target).
constexpr std::array<std::pair<std::string_view, Command>, 6> kShowTargets{{
    {"status", Command::Status},
    {"peers", Command::Peers},
    {"groups", Command::Groups},
    {"sas", Command::Sas},
    {"alarms", Command::Alarms},
    {"counters", Command::Counters},
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

ParsedRequest parse_show(const Json& object) {
    if (auto error = check_members(object, {"command", "what"})) return *error;
    const auto what = object.find("what");
    if (what == object.end()) return bad_request("show needs \"what\"");
    if (!what->is_string()) return bad_request("\"what\" must be a string");
    const auto& name = what->get_ref<const std::string&>();
    for (const auto& [wire, command] : kShowTargets) {
        if (name == wire) return Request{command, std::nullopt};
    }
    return RequestError{
        ErrorCode::UnknownCommand,
        "unknown show target " + quoted(name) + " (status, peers, groups, sas, alarms, counters)"};
}

ParsedRequest parse_rekey(const Json& object) {
    if (auto error = check_members(object, {"command", "group"})) return *error;
    Request request{Command::Rekey, std::nullopt};
    const auto group = object.find("group");
    if (group == object.end() || group->is_null()) return request;
    if (!group->is_string()) return bad_request("\"group\" must be a string");
    const auto& name = group->get_ref<const std::string&>();
    if (name.empty() || name.size() > kMaxGroupLength) {
        return bad_request("\"group\" must be 1.." + std::to_string(kMaxGroupLength) +
                           " characters");
    }
    request.group = name;
    return request;
}

}  // namespace

std::string_view to_string(Command command) noexcept {
    for (const auto& [wire, target] : kShowTargets) {
        if (target == command) return wire;
    }
    return "rekey";
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
    return RequestError{ErrorCode::UnknownCommand,
                        "unknown command " + quoted(name) + " (show, rekey)"};
}

Json encode_request(const Request& request) {
    if (request.command == Command::Rekey) {
        Json encoded{{"command", "rekey"}};
        if (request.group) encoded["group"] = *request.group;
        return encoded;
    }
    return Json{{"command", "show"}, {"what", std::string(to_string(request.command))}};
}

}  // namespace mcsec::control::api
