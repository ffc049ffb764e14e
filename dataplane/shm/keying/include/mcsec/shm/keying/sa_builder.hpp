// Turns a config group and a key into what the SA table writer publishes. Every writer builds
// its SAs here: the dataplane's manual keying at start, `mcsecctl sa add` and controld's
// installer for MIKE's keys, so an SA means the same thing whichever of them put it in the
// region, and the selector a group's policy sits under is the same for all three.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "mcsec/config/config.hpp"
#include "mcsec/esp/ip_header.hpp"
#include "mcsec/shm/sa_table.hpp"

namespace mcsec::shm {

esp::IpAddress to_esp(const config::IpAddress& address);
esp::SourcePrefix to_esp(const config::Prefix& prefix);

// The source selector of a group's SPD entry (and of its SAs): nullopt for any source (no
// `source`, or a /0), else the prefix in the 16-byte form.
std::optional<esp::SourcePrefix> policy_source(const config::Group& group);

// The SA of `group` (of `config`) under `spi` and `key_and_salt` (the AES key followed by the
// 4-byte salt; the spec's key points into it, so it must outlive the spec's use). `sender_id`
// is this node's RFC 6054 sender ID under the key: the config's for manual keys, the one MIKE
// assigned for agreed ones. nullopt with `error` when the group has no policy, no black port
// has an address of the tunnel's family, or the key's length does not fit the transform.
std::optional<SaSpec> group_sa_spec(const config::ApplianceConfig& config,
                                    const config::Group& group, uint32_t spi,
                                    std::span<const uint8_t> key_and_salt, uint16_t sender_id,
                                    uint64_t now_seconds, std::string& error);

// The SA of one manual SA of the config: its group's, with the config's sender ID (key bytes
// point into `manual`).
std::optional<SaSpec> manual_sa_spec(const config::ApplianceConfig& config,
                                     const config::ManualSa& manual, uint64_t now_seconds,
                                     std::string& error);

}  // namespace mcsec::shm
