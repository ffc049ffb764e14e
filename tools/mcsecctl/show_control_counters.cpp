// mcsecctl show control-counters [--json]: mcsec-controld's counters (hello and MIKE verdicts,
// registration, the TLS prefix channel, alarms raised and suppressed). The human form lists
// the non-zero ones as dotted paths, one per line; --json gives them all as the API has them.
// (`show counters` is the fast path's packet counters, from shared memory.)
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

namespace {

void flatten(const Json& value, const std::string& path, std::string& out) {
    if (value.is_object()) {
        for (const auto& [key, member] : value.items()) {
            flatten(member, path.empty() ? key : path + "." + key, out);
        }
        return;
    }
    if (value.is_null() || (value.is_number() && value == 0)) return;
    out += path + "  " + render_value(value) + "\n";
}

}  // namespace

int show_control_counters(const Args& args) {
    Json result;
    if (const int status = call_controld(args, {control::api::Command::Counters, {}}, result)) {
        return status;
    }
    if (args.json) return print_json(result);
    std::string lines;
    flatten(result, "", lines);
    std::fputs(lines.empty() ? "all counters are zero\n" : lines.c_str(), stdout);
    return 0;
}

}  // namespace mcsec::ctl
