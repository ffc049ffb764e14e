// The one-way chain that halves LKH's rekey messages (Canetti, Garay, Itkis, Micciancio, Naor,
// Pinkas, "Multicast security: a taxonomy and some efficient constructions", INFOCOM 1999; docs/
// protocol/lkh.md, "Seed chain"). Every inner node of the tree has a 32-byte seed; its key-
// encryption key is derived from the seed, and when a rekey replaces a node and one of its
// children, the node's new seed is derived from that child's new seed. The receivers below that
// child compute it themselves, so the message carries the node's seed wrapped only under the
// other children's keys: (d-1) wraps per level instead of d. Both derivations are HMAC-SHA256
// under the seed with distinct labels: one-way, so knowing a node's seed reveals its ancestors'
// (which every receiver below it may know) and nothing below or beside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace mcsec::control::lkh {

inline constexpr std::size_t kSeedBytes = 32;

// False only if OpenSSL fails; `seed` and `out` are kSeedBytes.
bool key_from_seed(std::span<const std::uint8_t> seed, std::span<std::uint8_t> key) noexcept;
bool parent_seed(std::span<const std::uint8_t> seed, std::span<std::uint8_t> parent) noexcept;

}  // namespace mcsec::control::lkh
