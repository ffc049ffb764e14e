// mcsecctl show sas [--json]: the SAs mcsec-controld installed, with the keying epoch each
// came from and this node's RFC 6054 sender ID in it. (`show sa` reads the shared-memory table
// itself: what the fast path sees, also when controld is down.)
#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_sas(const Args& args) {
    static constexpr Column kColumns[] = {
        {"group", "group"},         {"spi", "spi", render_hex32},
        {"direction", "direction"}, {"state", "state"},
        {"epoch", "epoch"},         {"sender id", "sender_id"},
        {"slot", "slot"},           {"installed", "installed_ms_ago", render_ms},
    };
    return show_list(args, control::api::Command::Sas, kColumns,
                     "no SAs installed by mcsec-controld (none agreed yet, or --no-dataplane)");
}

}  // namespace mcsec::ctl
