// mcsecctl show peers [--json]: the appliances IDP discovery knows on the black network.
#include <cstdio>

#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_peers(const Args& args) {
    Json result;
    if (const int status = call_controld(args, {control::api::Command::Peers, {}}, result)) {
        return status;
    }
    if (args.json) return print_json(result);
    if (result.empty()) {
        std::puts("no peers discovered");
        return 0;
    }
    static constexpr Column kColumns[] = {
        {"node", "node_id"},
        {"state", "state"},
        {"black address", "black_address"},
        {"last heard", "last_heard_ms", render_ms},
        {"prefixes", "prefixes"},
    };
    std::fputs(format_table(result, kColumns).c_str(), stdout);
    return 0;
}

}  // namespace mcsec::ctl
