#include <iostream>

#include "commands.hpp"
#include "mcsec/crypto/key_memory.hpp"

namespace {

const char* kUsage =
    "usage: mcsecctl [--instance NAME | --config FILE] [--socket PATH] [--json] COMMAND\n"
    "  show status|peers|groups|alarms|sas|control-counters\n"
    "                                from mcsec-controld (socket /run/mcsec/NAME.sock);\n"
    "                                sas: the SAs it installed, with epoch and sender ID\n"
    "  rekey [GROUP]                 start a rekey of GROUP (--group GROUP), or of all groups\n"
    "  show receivers GROUP          LKH: the group's key tree and receivers (on its TM), or\n"
    "                                this receiver box's registration\n"
    "  revoke GROUP NODE             LKH: remove receiver NODE from GROUP's key tree (on the TM)\n"
    "  lkh-register GROUP            LKH receiver under EMCON: register GROUP again\n"
    "  show counters                 rx/tx and drops by reason, summed over lcores; rx per lcore\n"
    "  show sa                       SAs in the shared-memory table (what the fast path sees)\n"
    "  sa add --group G --spi S --key HEX [--source P]\n"
    "                                publish a new SA for a configured group (inbound at once)\n"
    "  sa switch --group G --spi S   make senders use that SA (make-before-break)\n"
    "  sa retire --group G --spi S   remove an SA after the dataplane stopped using it\n"
    "exit status: 0 ok, 1 failed, 2 bad usage, 3 mcsec-controld not running\n";

}  // namespace

int main(int argc, char** argv) {
    // mcsecctl reads keys (config files, `sa add --key`): never in a core dump.
    if (std::string error; !mcsec::crypto::protect_process_keys(error)) {
        std::cerr << "mcsecctl: " << error << "\n";
        return 1;
    }
    mcsec::ctl::Args args;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--json") {
            args.json = true;
        } else if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else if (a.rfind("--", 0) == 0) {
            if (i + 1 >= argc) {
                std::cerr << "mcsecctl: missing value for " << a << "\n" << kUsage;
                return 2;
            }
            args.options[a.substr(2)] = argv[++i];
        } else {
            args.words.push_back(a);
        }
    }
    const auto& w = args.words;
    if (w.size() == 2 && w[0] == "show" && w[1] == "counters")
        return mcsec::ctl::show_counters(args);
    if (w.size() == 2 && w[0] == "show" && w[1] == "sa") return mcsec::ctl::show_sa(args);
    if (w.size() == 2 && w[0] == "sa") return mcsec::ctl::sa_command(args);
    if (w.size() == 2 && w[0] == "show" && w[1] == "status") return mcsec::ctl::show_status(args);
    if (w.size() == 2 && w[0] == "show" && w[1] == "peers") return mcsec::ctl::show_peers(args);
    if (w.size() == 2 && w[0] == "show" && w[1] == "groups") return mcsec::ctl::show_groups(args);
    if (w.size() == 2 && w[0] == "show" && w[1] == "alarms") return mcsec::ctl::show_alarms(args);
    if (w.size() == 2 && w[0] == "show" && w[1] == "sas") return mcsec::ctl::show_sas(args);
    if (w.size() == 2 && w[0] == "show" && w[1] == "control-counters")
        return mcsec::ctl::show_control_counters(args);
    if (!w.empty() && w.size() <= 2 && w[0] == "rekey") return mcsec::ctl::rekey(args);
    if (w.size() == 3 && w[0] == "show" && w[1] == "receivers")
        return mcsec::ctl::show_receivers(args);
    if (!w.empty() && w[0] == "revoke") return mcsec::ctl::revoke(args);
    if (!w.empty() && w[0] == "lkh-register") return mcsec::ctl::lkh_register(args);
    std::cerr << "mcsecctl: unknown command\n" << kUsage;
    return 2;
}
