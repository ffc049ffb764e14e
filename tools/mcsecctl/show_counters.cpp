// mcsecctl show counters [--json]: totals over the lcores, drops by reason, and each lcore's rx/tx.
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "region_access.hpp"

namespace mcsec::ctl {

int show_counters(const Args& args) {
    auto region = attach_region(args);
    if (!region) return 1;
    uint64_t red_rx = 0, red_tx = 0, black_rx = 0, black_tx = 0, exception = 0;
    std::vector<uint64_t> drops(esp::kDropReasonCount);
    for (uint32_t i = 0; i < region->geometry().lcores; ++i) {
        shm::Counters& c = region->counters(i);
        red_rx += c.red_rx.load();
        red_tx += c.red_tx.load();
        black_rx += c.black_rx.load();
        black_tx += c.black_tx.load();
        exception += c.exception.load();
        for (size_t r = 0; r < drops.size(); ++r) drops[r] += c.drops[r].load();
    }
    const int pid = region->header().dataplane_pid.load();
    if (args.json) {
        std::printf(
            "{\"dataplane_pid\": %d, \"red_rx\": %lu, \"red_tx\": %lu, \"black_rx\": %lu, "
            "\"black_tx\": %lu, \"exception\": %lu, \"drops\": {",
            pid, red_rx, red_tx, black_rx, black_tx, exception);
        for (size_t r = 0; r < drops.size(); ++r) {
            std::printf("%s\"%s\": %lu", r ? ", " : "",
                        std::string(esp::counter_name(static_cast<esp::DropReason>(r))).c_str(),
                        drops[r]);
        }
        // Per lcore: how the ports' queues spread the traffic.
        std::printf("}, \"lcores\": [");
        for (uint32_t i = 0; i < region->geometry().lcores; ++i) {
            shm::Counters& c = region->counters(i);
            std::printf(
                "%s{\"red_rx\": %lu, \"red_tx\": %lu, \"black_rx\": %lu, \"black_tx\": %lu}",
                i ? ", " : "", c.red_rx.load(), c.red_tx.load(), c.black_rx.load(),
                c.black_tx.load());
        }
        std::printf("]}\n");
        return 0;
    }
    std::printf("dataplane pid %d\nred   rx %12lu  tx %12lu\nblack rx %12lu  tx %12lu\n", pid,
                red_rx, red_tx, black_rx, black_tx);
    // Red IGMP/MLD reports snooped, and black frames handed to the kernel TAP.
    std::printf("exception  %12lu\n", exception);
    if (region->geometry().lcores > 1) {
        for (uint32_t i = 0; i < region->geometry().lcores; ++i) {
            shm::Counters& c = region->counters(i);
            std::printf("lcore %-3u red rx %12lu  black rx %12lu\n", i, c.red_rx.load(),
                        c.black_rx.load());
        }
    }
    for (size_t r = 0; r < drops.size(); ++r) {
        if (drops[r] == 0) continue;
        const auto reason = static_cast<esp::DropReason>(r);
        std::printf("drop %-24s %12lu  %s\n", std::string(esp::counter_name(reason)).c_str(),
                    drops[r], std::string(esp::description(reason)).c_str());
    }
    return 0;
}

}  // namespace mcsec::ctl
