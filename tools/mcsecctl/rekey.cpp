// mcsecctl rekey [GROUP | --group GROUP] [--json]: asks mcsec-controld to start a rekey of one
// protected group, or of all of them. It returns once the rekey is under way; `show groups`
// shows the new epoch when the members have agreed on it.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int rekey(const Args& args) {
    control::api::Request request{control::api::Command::Rekey, {}};
    if (args.words.size() == 2) request.group = args.words[1];
    if (args.has("group")) {
        if (request.group) {
            std::cerr << "mcsecctl: give the group once (rekey GROUP or rekey --group GROUP)\n";
            return 2;
        }
        request.group = args.get("group");
    }
    Json result;
    if (const int status = call_controld(args, request, result)) return status;
    if (args.json) return print_json(result);
    const Json started =
        result.is_object() && result.contains("started") ? result["started"] : Json::array();
    if (started.empty()) {
        std::puts("no rekey started (no protected groups)");
        return 0;
    }
    std::printf("rekey started: %s\n", render_value(started).c_str());
    return 0;
}

}  // namespace mcsec::ctl
