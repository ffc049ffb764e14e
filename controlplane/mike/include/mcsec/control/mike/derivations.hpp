// Every HKDF derivation of the key tree in one place, with the labels the protocol document
// (docs/protocol/mike-key-tree.md, "Derivations") names: internal node secrets, the tree hash and
// the epoch's group keying material.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "mcsec/config/config.hpp"
#include "mcsec/config/secret_bytes.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/mike_error.hpp"
#include "mcsec/control/mike/x25519.hpp"

namespace mcsec::control::mike {

inline constexpr std::string_view kNodeSecretLabel = "mcsec MIKE v1 node secret";
inline constexpr std::string_view kGroupKeyLabel = "mcsec MIKE v1 group key";
inline constexpr std::string_view kTreeHashLabel = "mcsec MIKE v1 tree hash";

using TreeHash = std::array<std::uint8_t, 32>;

// The secret of an internal node from X25519(secret of one child, blinded key of the other):
// HKDF-SHA256(ikm = dh, salt = kNodeSecretLabel, info = left blinded key || right blinded key).
Result<X25519PrivateKey> derive_node_secret(const X25519SharedSecret& dh,
                                            const X25519PublicKey& left_blinded_key,
                                            const X25519PublicKey& right_blinded_key);

// SHA-256(kTreeHashLabel || serialize_tree(tree)): binds the group key to the exact tree.
Result<TreeHash> tree_hash(const KeyTree& tree);

// Keying material for one epoch's SA: AES key || 4-byte GCM salt (20 or 36 bytes).
struct GroupKey {
    std::uint64_t epoch = 0;
    config::Transform transform = config::Transform::AesGcm256;
    config::SecretBytes key_and_salt;
};

// HKDF-SHA256(ikm = root secret, salt = kGroupKeyLabel, info = kGroupKeyLabel || u16 len ||
// group id || u64 epoch || u8 transform || tree hash), all integers big-endian.
Result<GroupKey> derive_group_key(const X25519PrivateKey& root_secret,
                                  std::span<const std::uint8_t> group_id, std::uint64_t epoch,
                                  const TreeHash& tree_hash, config::Transform transform);

}  // namespace mcsec::control::mike
