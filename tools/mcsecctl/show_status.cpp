// mcsecctl show status [--json]: mcsec-controld's own summary of the appliance.
#include <cstdio>

#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_status(const Args& args) {
    Json result;
    if (const int status = call_controld(args, {control::api::Command::Status, {}}, result)) {
        return status;
    }
    if (args.json) return print_json(result);
    static constexpr Column kFields[] = {
        {"instance", "instance"},         {"node", "node_id"},
        {"version", "version"},           {"pid", "pid"},
        {"uptime (s)", "uptime_s"},       {"keying", "keying_mode"},
        {"dataplane", "dataplane"},       {"peers up", "peers_up"},
        {"peers known", "peers_known"},   {"groups protected", "groups_protected"},
        {"groups keyed", "groups_keyed"}, {"alarms", "alarms"},
    };
    std::fputs(format_fields(result, kFields).c_str(), stdout);
    return 0;
}

}  // namespace mcsec::ctl
