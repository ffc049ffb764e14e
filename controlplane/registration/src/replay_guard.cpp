#include "mcsec/control/registration/replay_guard.hpp"

#include <algorithm>

namespace mcsec::control::registration {

Freshness ReplayGuard::check(const NodeId& sender, const config::IpAddress& group,
                             ReplayChannel channel, std::uint64_t timestamp) const {
    const auto found = newest_.find(Key{sender, group, channel});
    if (found == newest_.end()) {
        return newest_.size() >= max_ ? Freshness::TableFull : Freshness::Fresh;
    }
    if (timestamp > found->second) return Freshness::Fresh;
    return timestamp == found->second ? Freshness::Same : Freshness::Stale;
}

void ReplayGuard::accept(const NodeId& sender, const config::IpAddress& group,
                         ReplayChannel channel, std::uint64_t timestamp) {
    auto& newest = newest_[Key{sender, group, channel}];
    newest = std::max(newest, timestamp);
}

}  // namespace mcsec::control::registration
