#include <iostream>

#include "commands.hpp"

namespace {

const char* kUsage =
    "usage: mcsecctl [--instance NAME | --config FILE] [--json] COMMAND\n"
    "  show counters                 rx/tx and drops by reason, summed over lcores\n"
    "  show sa                       SAs in the shared-memory table\n"
    "  sa add --group G --spi S --key HEX [--source P]\n"
    "                                publish a new SA for a configured group (inbound at once)\n"
    "  sa switch --group G --spi S   make senders use that SA (make-before-break)\n"
    "  sa retire --group G --spi S   remove an SA after the dataplane stopped using it\n";

}  // namespace

int main(int argc, char** argv) {
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
    std::cerr << "mcsecctl: unknown command\n" << kUsage;
    return 2;
}
