// mcsecctl show groups [--json]: the protected groups and where their keying stands.
#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_groups(const Args& args) {
    static constexpr Column kColumns[] = {
        {"group", "group"},           {"source", "source"},
        {"state", "state"},           {"role", "role"},
        {"phase", "phase"},           {"tm", "tm"},
        {"epoch", "epoch"},           {"members", "members", render_count},
        {"spi", "spi", render_hex32}, {"last rekey", "rekeyed_ms_ago", render_ms},
    };
    return show_list(args, control::api::Command::Groups, kColumns, "no protected groups");
}

}  // namespace mcsec::ctl
