// libFuzzer target: the operator API's request parser on arbitrary bytes (one request line as
// the server hands it over), then the whole request-to-response path with a backend that
// answers fixed values. Every input must give a request or an error, and every response must
// be one parsable line.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcsec/control/api/dispatch.hpp"
#include "mcsec/control/api/request.hpp"
#include "mcsec/control/api/response.hpp"

namespace {

using mcsec::control::api::Json;

class FixedBackend final : public mcsec::control::api::OperatorBackend {
  public:
    Json status() override { return Json{{"instance", "fuzz"}}; }
    Json peers() override { return Json::array(); }
    Json groups() override { return Json::array(); }
    Json sas() override { return Json::array(); }
    Json alarms() override { return Json::array(); }
    Json counters() override { return Json::object(); }
    // Echoes the client's group back, so invalid text from the request reaches the framing.
    Json rekey(std::optional<std::string> group) override {
        if (group && group->front() == 'x') throw mcsec::control::api::OperatorError(*group);
        return Json{{"started", Json::array({group.value_or("all")})}};
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace api = mcsec::control::api;
    const std::string_view line(reinterpret_cast<const char*>(data), size);

    const api::ParsedRequest parsed = api::parse_request(line);
    if (const auto* request = std::get_if<api::Request>(&parsed)) {
        // What parses must encode back to an equal request.
        const auto again = api::parse_request(api::encode_request(*request).dump());
        if (std::get_if<api::Request>(&again) == nullptr ||
            std::get<api::Request>(again) != *request) {
            std::abort();
        }
    }

    static FixedBackend backend;
    const std::string response = api::handle_request_line(backend, line);
    std::string error;
    if (response.empty() || response.back() != '\n' || response.find('\n') != response.size() - 1 ||
        !api::parse_response(response, error)) {
        std::abort();
    }
    return 0;
}
