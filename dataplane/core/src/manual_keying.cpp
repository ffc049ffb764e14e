#include "mcsec/dataplane/manual_keying.hpp"

#include <algorithm>
#include <cstring>
#include <set>

namespace mcsec::dataplane {

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

void remove_stale_policies(const config::ApplianceConfig& config, shm::SaTableWriter& writer) {
    for (const auto& key : writer.policies()) {
        const bool configured =
            std::any_of(config.groups.begin(), config.groups.end(), [&](const config::Group& g) {
                const auto source = policy_source(g);
                return to_esp(g.address) == key.group &&
                       source.has_value() == key.source.has_value() &&
                       (!source || (source->length == key.source->length &&
                                    source->address == key.source->address));
            });
        if (!configured) writer.remove_policy(key.group, key.source);
    }
}

shm::Geometry region_geometry(const config::ApplianceConfig& config) {
    shm::Geometry g;
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

std::optional<shm::SaSpec> manual_sa_spec(const config::ApplianceConfig& config,
                                          const config::ManualSa& manual, uint64_t now_seconds,
                                          std::string& error) {
    const config::Group* group = config.find_group(manual.group, manual.source);
    const config::Policy* policy = group ? config.find_policy(group->policy) : nullptr;
    if (policy == nullptr) {
        error = "manual SA " + std::to_string(manual.spi) + ": no protected group/policy";
        return std::nullopt;
    }
    const config::IpAddress tunnel = group->black_group.value_or(group->address);
    const auto source = black_address(config, tunnel.family());
    if (!source) {
        error =
            "manual SA " + std::to_string(manual.spi) + ": no black address of the tunnel's family";
        return std::nullopt;
    }
    shm::SaSpec spec;
    spec.spi = manual.spi;
    spec.algorithm = policy->transform == config::Transform::AesGcm128
                         ? crypto::AeadAlgorithm::AesGcm128
                         : crypto::AeadAlgorithm::AesGcm256;
    const auto key_and_salt = manual.key_and_salt.view();
    const size_t key_length = crypto::key_length(spec.algorithm);
    if (key_and_salt.size() != key_length + esp::kSaltLen) {
        error = "manual SA " + std::to_string(manual.spi) + ": key length does not match";
        return std::nullopt;
    }
    spec.key = key_and_salt.first(key_length);
    std::memcpy(spec.salt.data(), key_and_salt.data() + key_length, esp::kSaltLen);
    spec.direction = shm::kInbound | shm::kOutbound;
    spec.esn = policy->esn;
    spec.replay_check = policy->replay_check;
    spec.sender_id = config.instance.sender_id;
    spec.outer_ttl = static_cast<uint8_t>(config.dataplane.outer_ttl);
    spec.copy_dscp = config.dataplane.copy_dscp;
    spec.replay_window = policy->replay_window;
    spec.max_senders = config.dataplane.max_senders;
    spec.tunnel_source = *source;
    spec.tunnel_destination = to_esp(tunnel);
    spec.red_group = to_esp(group->address);
    spec.red_source = policy_source(*group);
    spec.lifetime = {policy->lifetime.seconds.soft, policy->lifetime.seconds.hard,
                     policy->lifetime.bytes.soft,   policy->lifetime.bytes.hard,
                     policy->lifetime.packets.soft, policy->lifetime.packets.hard};
    spec.created_at_seconds = now_seconds;
    return spec;
}

bool apply_manual_keys(const config::ApplianceConfig& config, shm::Region& region,
                       shm::SaTableWriter& writer, uint64_t now_seconds, std::string& error) {
    shm::SaTableReader reader(region);
    for (const auto& manual : config.manual_sas) {
        auto spec = manual_sa_spec(config, manual, now_seconds, error);
        if (!spec) return false;
        uint32_t slot = reader.find_inbound(spec->spi, spec->tunnel_destination);
        if (slot != shm::kNoSlot) {
            const shm::SaControl& c = region.control(slot);
            const bool same_key = std::memcmp(c.key, spec->key.data(), spec->key.size()) == 0 &&
                                  std::memcmp(c.salt, spec->salt.data(), esp::kSaltLen) == 0;
            if (!same_key) {
                // The config changed the key of a live SPI: replace the SA (fresh counters are
                // safe under a new key).
                writer.retire_sa(slot);
                slot = shm::kNoSlot;
            }
        }
        if (slot == shm::kNoSlot) {
            auto added = writer.add_sa(*spec, error);
            if (!added) {
                error = "manual SA " + std::to_string(manual.spi) + ": " + error;
                return false;
            }
            slot = *added;
        }
        const config::Group* group = config.find_group(manual.group, manual.source);
        if (!writer.set_policy(to_esp(group->address), policy_source(*group),
                               shm::PolicyAction::Protect, slot)) {
            error = "SPD full";
            return false;
        }
    }
    // Every protected entry is in before any BYPASS one, so a BYPASS for a wider prefix never
    // covers a protected source while this runs. A protected group without an SA (the config
    // check refuses one) still gets its entry: it discards rather than fall to a wider one.
    for (const auto& group : config.groups) {
        if (group.action != config::GroupAction::Protect) continue;
        const auto address = to_esp(group.address);
        if (reader.find_policy_entry(address, policy_source(group))) continue;
        if (!writer.set_policy(address, policy_source(group), shm::PolicyAction::Protect)) {
            error = "SPD full";
            return false;
        }
    }
    // Then entries of an earlier config go (a BYPASS among them must not outlive it), then the
    // BYPASS and DISCARD entries come.
    remove_stale_policies(config, writer);
    for (const auto& group : config.groups) {
        if (group.action == config::GroupAction::Protect) continue;  // set with its SA above
        const auto action = group.action == config::GroupAction::Bypass
                                ? shm::PolicyAction::Bypass
                                : shm::PolicyAction::Discard;
        if (!writer.set_policy(to_esp(group.address), policy_source(group), action)) {
            error = "SPD full";
            return false;
        }
    }
    return true;
}

}  // namespace mcsec::dataplane
