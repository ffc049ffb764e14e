// mcsecctl show alarms [--json]: alarms this appliance raised or received, oldest first.
#include <cstdio>

#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_alarms(const Args& args) {
    Json result;
    if (const int status = call_controld(args, {control::api::Command::Alarms, {}}, result)) {
        return status;
    }
    if (args.json) return print_json(result);
    if (result.empty()) {
        std::puts("no alarms");
        return 0;
    }
    static constexpr Column kColumns[] = {
        {"time", "time"},     {"kind", "kind"}, {"origin", "origin"},
        {"group", "group"},   {"peer", "peer"}, {"spi", "spi", render_hex32},
        {"detail", "detail"},
    };
    std::fputs(format_table(result, kColumns).c_str(), stdout);
    return 0;
}

}  // namespace mcsec::ctl
