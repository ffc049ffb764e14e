// RFC 6054 sender IDs under a MIKE epoch key.
#include <algorithm>
#include <limits>

#include "mcsec/control/mike/protocol/epoch_key.hpp"

namespace mcsec::control::mike {

std::optional<std::uint16_t> sender_id_of(const EpochKey& key, const NodeId& self) {
    const auto found = std::find(key.members.begin(), key.members.end(), self);
    if (found == key.members.end()) return std::nullopt;
    const auto position = static_cast<std::size_t>(found - key.members.begin()) + 1;
    if (position > std::numeric_limits<std::uint16_t>::max()) return std::nullopt;
    return static_cast<std::uint16_t>(position);
}

}  // namespace mcsec::control::mike
