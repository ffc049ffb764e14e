#include <algorithm>

#include "mcsec/config/config.hpp"

namespace mcsec::config {

std::size_t aes_key_bytes(Transform transform) noexcept {
    return transform == Transform::AesGcm128 ? 16 : 32;
}

const Policy* ApplianceConfig::find_policy(std::string_view name) const noexcept {
    const auto it = std::find_if(policies.begin(), policies.end(),
                                 [name](const Policy& policy) { return policy.name == name; });
    return it == policies.end() ? nullptr : &*it;
}

const Group* ApplianceConfig::find_group(const IpAddress& address,
                                         const std::optional<Prefix>& source) const noexcept {
    const auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& group) {
        return group.address == address && group.source == source;
    });
    return it == groups.end() ? nullptr : &*it;
}

}  // namespace mcsec::config
