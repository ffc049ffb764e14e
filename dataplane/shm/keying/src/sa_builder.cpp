#include "mcsec/shm/keying/sa_builder.hpp"

#include <cstring>

namespace mcsec::shm {

esp::IpAddress to_esp(const config::IpAddress& address) {
    const auto bytes = address.bytes();
    return address.is_v4() ? esp::IpAddress::from_v4(bytes.data())
                           : esp::IpAddress::from_v6(bytes.data());
}

esp::SourcePrefix to_esp(const config::Prefix& prefix) {
    const unsigned offset = prefix.address().is_v4() ? 96 : 0;  // IPv4-mapped form
    return {to_esp(prefix.address()), static_cast<uint8_t>(offset + prefix.length())};
}

std::optional<esp::SourcePrefix> policy_source(const config::Group& group) {
    if (!group.source || group.source->length() == 0) return std::nullopt;
    return to_esp(*group.source);
}

namespace {

// The black address ESP leaves from: the first black-port address of the tunnel's family.
std::optional<esp::IpAddress> black_address(const config::ApplianceConfig& config,
                                            config::AddressFamily family) {
    for (const auto& port : config.ports) {
        if (port.role != config::PortRole::Black) continue;
        for (const auto& prefix : port.addresses) {
            if (prefix.address().family() == family) return to_esp(prefix.address());
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<SaSpec> group_sa_spec(const config::ApplianceConfig& config,
                                    const config::Group& group, uint32_t spi,
                                    std::span<const uint8_t> key_and_salt, uint16_t sender_id,
                                    uint64_t now_seconds, std::string& error) {
    // Every writer's messages say "manual SA", as controld's did when it went through manual
    // keying: kept so that no log line changes.
    const std::string name = "manual SA " + std::to_string(spi);
    const config::Policy* policy = config.find_policy(group.policy);
    if (policy == nullptr) {
        error = name + ": no protected group/policy";
        return std::nullopt;
    }
    const config::IpAddress tunnel = group.black_group.value_or(group.address);
    const auto source = black_address(config, tunnel.family());
    if (!source) {
        error = name + ": no black address of the tunnel's family";
        return std::nullopt;
    }
    SaSpec spec;
    spec.spi = spi;
    spec.algorithm = policy->transform == config::Transform::AesGcm128
                         ? crypto::AeadAlgorithm::AesGcm128
                         : crypto::AeadAlgorithm::AesGcm256;
    const size_t key_length = crypto::key_length(spec.algorithm);
    if (key_and_salt.size() != key_length + esp::kSaltLen) {
        error = name + ": key length does not match";
        return std::nullopt;
    }
    spec.key = key_and_salt.first(key_length);
    std::memcpy(spec.salt.data(), key_and_salt.data() + key_length, esp::kSaltLen);
    spec.direction = kInbound | kOutbound;
    spec.esn = policy->esn;
    spec.replay_check = policy->replay_check;
    spec.sender_id = sender_id;
    spec.outer_ttl = static_cast<uint8_t>(config.dataplane.outer_ttl);
    spec.copy_dscp = config.dataplane.copy_dscp;
    spec.replay_window = policy->replay_window;
    spec.max_senders = config.dataplane.max_senders;
    spec.tunnel_source = *source;
    spec.tunnel_destination = to_esp(tunnel);
    spec.red_group = to_esp(group.address);
    spec.red_source = policy_source(group);
    spec.lifetime = {policy->lifetime.seconds.soft, policy->lifetime.seconds.hard,
                     policy->lifetime.bytes.soft,   policy->lifetime.bytes.hard,
                     policy->lifetime.packets.soft, policy->lifetime.packets.hard};
    spec.created_at_seconds = now_seconds;
    return spec;
}

std::optional<SaSpec> manual_sa_spec(const config::ApplianceConfig& config,
                                     const config::ManualSa& manual, uint64_t now_seconds,
                                     std::string& error) {
    const config::Group* group = config.find_group(manual.group, manual.source);
    if (group == nullptr) {
        error = "manual SA " + std::to_string(manual.spi) + ": no protected group/policy";
        return std::nullopt;
    }
    return group_sa_spec(config, *group, manual.spi, manual.key_and_salt.view(),
                         config.instance.sender_id, now_seconds, error);
}

}  // namespace mcsec::shm
