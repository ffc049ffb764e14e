#include "controld_access.hpp"

#include <cstdio>
#include <iostream>

#include "json_table.hpp"
#include "mcsec/control/api/operator_client.hpp"
#include "mcsec/control/api/socket_path.hpp"
#include "region_access.hpp"

namespace mcsec::ctl {

namespace api = control::api;

std::optional<ControldTarget> controld_target(const Args& args) {
    ControldTarget target;
    target.instance = args.get("instance");
    if (target.instance.empty() && args.has("config")) {
        auto cfg = load_config(args, false);
        if (!cfg) return std::nullopt;  // load_config printed the errors
        target.instance = cfg->instance.name;
    }
    if (args.has("socket")) {
        target.socket = args.get("socket");
    } else if (!target.instance.empty()) {
        target.socket = api::default_socket_path(target.instance);
    } else {
        std::cerr << "mcsecctl: give --instance NAME, --config FILE or --socket PATH\n";
        return std::nullopt;
    }
    return target;
}

int call_controld(const Args& args, const api::Request& request, api::Json& result) {
    const auto target = controld_target(args);
    if (!target) return 2;
    auto call = api::call_operator_api(target->socket, request);
    switch (call.status) {
        case api::CallStatus::NotRunning:
            std::cerr << "mcsecctl: mcsec-controld is not running"
                      << (target->instance.empty() ? "" : " for instance " + target->instance)
                      << " (" << call.error << "); counters and SAs: mcsecctl show counters|sa\n";
            return kExitControldNotRunning;
        case api::CallStatus::Failed:
            std::cerr << "mcsecctl: " << call.error << "\n";
            return 1;
        case api::CallStatus::Answered:
            break;
    }
    if (!call.response.ok) {
        std::cerr << "mcsecctl: mcsec-controld refused " << api::to_string(request.command) << ": "
                  << call.response.error << "\n";
        return 1;
    }
    result = std::move(call.response.result);
    return 0;
}

int print_json(const api::Json& result) {
    std::cout << result.dump(2, ' ', false, api::Json::error_handler_t::replace) << "\n";
    return 0;
}

int show_list(const Args& args, api::Command command, std::span<const Column> columns,
              const char* empty_text) {
    api::Json result;
    if (const int status = call_controld(args, {command, {}}, result)) return status;
    if (args.json) return print_json(result);
    if (result.empty()) {
        std::puts(empty_text);
        return 0;
    }
    std::fputs(format_table(result, columns).c_str(), stdout);
    return 0;
}

}  // namespace mcsec::ctl
