#include "mcsec/control/api/response.hpp"

#include <utility>

namespace mcsec::control::api {

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::BadRequest:
            return "bad_request";
        case ErrorCode::UnknownCommand:
            return "unknown_command";
        case ErrorCode::TooLarge:
            return "too_large";
        case ErrorCode::Rejected:
            return "rejected";
        case ErrorCode::Internal:
            return "internal";
        case ErrorCode::Busy:
            return "busy";
    }
    return "internal";
}

Json ok_response(Json result) {
    Json response = Json::object();
    response["ok"] = true;
    response["result"] = std::move(result);
    return response;
}

Json error_response(ErrorCode code, std::string_view message) {
    Json response = Json::object();
    response["ok"] = false;
    response["code"] = std::string(to_string(code));
    response["error"] = std::string(message);
    return response;
}

std::string to_line(const Json& response) {
    // Compact output never contains a raw newline (strings escape it), so '\n' frames it.
    std::string line = response.dump(-1, ' ', false, Json::error_handler_t::replace);
    line.push_back('\n');
    return line;
}

std::optional<Response> parse_response(std::string_view line, std::string& error) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    const Json parsed = line.find('\0') == std::string_view::npos
                            ? Json::parse(line.begin(), line.end(), nullptr, false)
                            : Json(Json::value_t::discarded);
    if (parsed.is_discarded() || !parsed.is_object()) {
        error = "response is not a JSON object";
        return std::nullopt;
    }
    const auto ok = parsed.find("ok");
    if (ok == parsed.end() || !ok->is_boolean()) {
        error = "response has no boolean \"ok\"";
        return std::nullopt;
    }
    Response response;
    response.ok = ok->get<bool>();
    if (response.ok) {
        const auto result = parsed.find("result");
        if (result == parsed.end()) {
            error = "response has no \"result\"";
            return std::nullopt;
        }
        response.result = *result;
        return response;
    }
    const auto text = parsed.find("error");
    response.error =
        text != parsed.end() && text->is_string() ? text->get<std::string>() : "unspecified error";
    const auto code = parsed.find("code");
    if (code != parsed.end() && code->is_string()) response.code = code->get<std::string>();
    return response;
}

}  // namespace mcsec::control::api
