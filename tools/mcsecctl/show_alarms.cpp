// mcsecctl show alarms [--json]: alarms this appliance raised or received, oldest first.
#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

int show_alarms(const Args& args) {
    static constexpr Column kColumns[] = {
        {"time", "time"},     {"kind", "kind"}, {"origin", "origin"},
        {"group", "group"},   {"peer", "peer"}, {"spi", "spi", render_hex32},
        {"detail", "detail"},
    };
    return show_list(args, control::api::Command::Alarms, kColumns, "no alarms");
}

}  // namespace mcsec::ctl
