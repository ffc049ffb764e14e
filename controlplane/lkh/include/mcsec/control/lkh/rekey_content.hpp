// What one LKH push message carries (docs/protocol/lkh.md, "Messages"), independent of its wire
// encoding: new node keys, each wrapped under one child's key, deepest first, and the data key
// (the group's MIKE epoch key, TEK) wrapped under the root key. Node keys travel as seeds
// (seed_chain.hpp), 32 bytes like the keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "mcsec/control/lkh/key_wrap.hpp"
#include "mcsec/control/lkh/tree_shape.hpp"

namespace mcsec::control::lkh {

inline constexpr std::size_t kKekBytes = 32;  // every key-encryption key is AES-256
inline constexpr std::size_t kWrappedKekBytes = kKekBytes + kWrapOverhead;
inline constexpr std::size_t kMaxTekBytes = 36;  // AES-256 key || 4-byte GCM salt

enum class PushKind : std::uint8_t {
    Rekey = 1,  // the keys replaced since the previous message
    State = 2,  // every key replaced since an older message: the EMCON catch-up
};

// One step of a rekey for `node`: its new seed (seed_chain.hpp) either wrapped under the
// current key of its child `slot`, or, `chained`, derived from that child's new seed (no bytes
// on the wire: the receivers below that child compute it).
struct WrappedKey {
    NodeIndex node = 0;
    std::uint8_t slot = 0;
    bool chained = false;
    std::array<std::uint8_t, kWrappedKekBytes> wrapped{};  // unused when chained
};

struct WrappedTek {
    std::uint64_t epoch = 0;  // the MIKE epoch whose key this is
    std::uint32_t spi = 0;
    std::vector<std::uint8_t> wrapped;  // RFC 5649 of key || salt under the root key
};

struct PushContent {
    PushKind kind = PushKind::Rekey;
    std::vector<std::uint8_t> group_id;
    std::uint64_t message_id = 0;  // strictly increasing per group, State messages included
    // Which tree: random, drawn when a key server starts one. A receiver's keys belong to one
    // tree; an authentic message of another (a new key server) means it must register again.
    std::uint64_t tree_id = 0;
    std::uint8_t degree = 0;
    std::uint8_t height = 0;
    // The message that last replaced the root key: a receiver whose root key is older after
    // applying this message missed a rekey it cannot recover from here.
    std::uint64_t root_version = 0;
    std::vector<WrappedKey> keys;  // deepest first, so a child's new key comes before its use
    std::optional<WrappedTek> tek;
};

}  // namespace mcsec::control::lkh
