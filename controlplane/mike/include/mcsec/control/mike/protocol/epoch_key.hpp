// What keying hands the daemon for each complete epoch, the SPI every member derives for it, and
// the make-before-break delays the daemon applies when it installs the SAs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/config/secret_bytes.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/mike/derivations.hpp"
#include "mcsec/control/mike/mike_error.hpp"

namespace mcsec::control::mike {

inline constexpr std::string_view kSpiLabel = "mcsec MIKE v1 spi";
// SPIs 0..255 are reserved (RFC 4303 section 2.1); derived SPIs lie in [kMinSpi, 0xFFFFFFFF].
inline constexpr std::uint32_t kMinSpi = 0x100;

// The SPI of one epoch's SA: HKDF-SHA256(ikm = tree hash, salt = kSpiLabel, info = u8 len(G) ||
// G || u64 epoch, L = 4) read as a big-endian u32 x, then kMinSpi + x mod (2^32 - kMinSpi). All
// members derive the same value from public data; the group id and tree hash make SPIs of
// different groups, epochs and trees independent (docs/protocol/mike.md, "SPI").
Result<std::uint32_t> derive_spi(std::span<const std::uint8_t> group_id, std::uint64_t epoch,
                                 const TreeHash& tree_hash);

struct EpochKey;

// This node's RFC 6054 sender ID under one epoch's key: its position among the tree's members,
// left to right, from 1. Every holder of the key gets a different one by construction, so no two
// senders ever share an AES-GCM IV space, whatever the appliances' configs say (a static
// `sender_id` copied between two boxes would otherwise make them reuse nonces). Nullopt when
// `self` is not a member, or beyond 65535 members.
std::optional<std::uint16_t> sender_id_of(const EpochKey& key, const NodeId& self);

struct EpochKey {
    std::vector<std::uint8_t> group_id;
    std::uint64_t epoch = 0;
    config::Transform transform = config::Transform::AesGcm256;
    config::SecretBytes key_and_salt;  // AES key || 4-byte RFC 4106 salt; never print the bytes
    std::uint32_t spi = 0;
    std::vector<NodeId> members;  // the tree's members, left to right
    TreeHash tree_hash{};
};

// Make-before-break (the daemon does the timing): install the new inbound SA at once; switch
// outbound traffic to it after the activation delay, by which the other members have normally
// derived the key too (each one needs the TM's TREE_STATE, retransmitted every H until ACKed);
// remove the old SAs after the deactivation delay, so late packets of the old epoch still decrypt.
constexpr idp::Duration activation_delay(idp::Duration hello_interval) noexcept {
    return hello_interval * 2;
}
constexpr idp::Duration deactivation_delay(idp::Duration hello_interval) noexcept {
    return hello_interval * 8;
}

}  // namespace mcsec::control::mike
