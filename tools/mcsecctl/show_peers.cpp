// mcsecctl show peers [--json]: the appliances IDP discovery knows on the black network.
#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_peers(const Args& args) {
    static constexpr Column kColumns[] = {
        {"node", "node_id"},
        {"state", "state"},
        {"black address", "black_address"},
        {"last heard", "last_heard_ms", render_ms},
        {"prefixes", "prefixes"},
    };
    return show_list(args, control::api::Command::Peers, kColumns, "no peers discovered");
}

}  // namespace mcsec::ctl
