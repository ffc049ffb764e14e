#include "mcsec/shm/keying/region_geometry.hpp"

#include <algorithm>
#include <set>

namespace mcsec::shm {

Geometry region_geometry(const config::ApplianceConfig& config) {
    Geometry g;
    g.sa_slots = config.dataplane.sa_slots;
    // One SPD entry per config group plus one record per group address, twice over so removed
    // entries waiting for their grace period never fill it (the index has twice as many
    // buckets again).
    std::set<config::IpAddress> addresses;
    for (const auto& group : config.groups) addresses.insert(group.address);
    g.spd_entries = std::max<uint32_t>(
        64, static_cast<uint32_t>((config.groups.size() + addresses.size()) * 2));
    g.max_senders = config.dataplane.max_senders;
    g.replay_window = esp::kMinReplayWindow;
    for (const auto& policy : config.policies) {
        g.replay_window = std::max(g.replay_window, policy.replay_window);
    }
    g.lcores = static_cast<uint32_t>(config.dataplane.lcores.size());
    return g;
}

}  // namespace mcsec::shm
