// mcsecctl show groups [--json]: the protected groups and where their keying stands.
#include <cstdio>

#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_groups(const Args& args) {
    Json result;
    if (const int status = call_controld(args, {control::api::Command::Groups, {}}, result)) {
        return status;
    }
    if (args.json) return print_json(result);
    if (result.empty()) {
        std::puts("no protected groups");
        return 0;
    }
    static constexpr Column kColumns[] = {
        {"group", "group"},
        {"source", "source"},
        {"state", "state"},
        {"role", "role"},
        {"tm", "tm"},
        {"epoch", "epoch"},
        {"members", "members", render_count},
        {"spi", "spi", render_hex32},
        {"last rekey", "rekeyed_ms_ago", render_ms},
    };
    std::fputs(format_table(result, kColumns).c_str(), stdout);
    return 0;
}

}  // namespace mcsec::ctl
