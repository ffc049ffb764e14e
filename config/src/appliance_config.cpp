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

std::optional<Prefix> source_selector(const std::optional<Prefix>& source) noexcept {
    if (!source || source->length() == 0) return std::nullopt;
    return source->network();
}

const Group* ApplianceConfig::find_group(const IpAddress& address,
                                         const std::optional<Prefix>& source) const noexcept {
    const auto selector = source_selector(source);
    const auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& group) {
        return group.address == address && source_selector(group.source) == selector;
    });
    return it == groups.end() ? nullptr : &*it;
}

}  // namespace mcsec::config
