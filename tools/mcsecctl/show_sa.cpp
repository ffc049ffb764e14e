// mcsecctl show sa [--json]: never prints key material.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "region_access.hpp"

namespace mcsec::ctl {

int show_sa(const Args& args) {
    auto region = attach_region(args);
    if (!region) return 1;
    bool first = true;
    if (args.json) std::printf("[");
    for (uint32_t s = 0; s < region->geometry().sa_slots; ++s) {
        const shm::SaControl& c = region->control(s);
        const auto state = c.state.load(std::memory_order_acquire);
        if (state == static_cast<uint32_t>(shm::SlotState::Free)) continue;
        const shm::SaRuntime& r = region->runtime(s);
        const std::string group = esp::IpAddress::from_v6(c.red_group).to_string();
        const std::string tunnel = esp::IpAddress::from_v6(c.tunnel_destination).to_string();
        const char* state_text = state == 1 ? "active" : "retired";
        const uint64_t seq = esp::load_relaxed(r.outbound.last_seq);
        const auto in = esp::load_usage(r.inbound.usage);
        const auto out = esp::load_usage(r.outbound.usage);
        if (args.json) {
            std::printf(
                "%s{\"slot\": %u, \"state\": \"%s\", \"spi\": %u, \"group\": \"%s\", "
                "\"tunnel_destination\": \"%s\", \"sender_id\": %u, \"last_seq\": %lu, "
                "\"seq_limit\": %lu, "
                "\"out_packets\": %lu, \"in_packets\": %lu, \"soft_expired\": %s, "
                "\"hard_expired\": %s}",
                first ? "" : ", ", s, state_text, c.spi, group.c_str(), tunnel.c_str(), c.sender_id,
                seq, esp::load_relaxed(r.outbound.seq_limit), out.packets, in.packets,
                esp::flag_set(r.outbound.soft_expired) ? "true" : "false",
                esp::flag_set(r.outbound.hard_expired) ? "true" : "false");
        } else {
            if (first) {
                std::printf("%-5s %-8s %-10s %-24s %-24s %-6s %-12s %-12s %-12s\n", "slot", "state",
                            "spi", "group", "tunnel", "sender", "last_seq", "out_pkts", "in_pkts");
            }
            std::printf("%-5u %-8s 0x%08x %-24s %-24s %-6u %-12lu %-12lu %-12lu\n", s, state_text,
                        c.spi, group.c_str(), tunnel.c_str(), c.sender_id, seq, out.packets,
                        in.packets);
        }
        first = false;
    }
    if (args.json) std::printf("]\n");
    return 0;
}

}  // namespace mcsec::ctl
