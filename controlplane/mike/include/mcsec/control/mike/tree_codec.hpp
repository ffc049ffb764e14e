// The wire form of a KeyTree, as the TM spreads it (docs/protocol/mike-key-tree.md, "Serialised
// tree state"). The parser takes untrusted bytes: every read is bounds-checked, and it never
// allocates more than the size cap allows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/control/mike/key_tree.hpp"

namespace mcsec::control::mike {

inline constexpr std::uint8_t kTreeFormatVersion = 1;
inline constexpr std::size_t kTreeHeaderBytes = 1 + 8 + 2;  // version, epoch, member count
// The largest valid encoding: kMaxMembers leaves with the longest ids and kMaxMembers - 1
// internal nodes, all with keys. Anything longer is rejected before it is read.
inline constexpr std::size_t kMaxTreeEncodingBytes =
    kTreeHeaderBytes + KeyTree::kMaxMembers * (1 + 1 + kMaxMemberIdBytes + 1 + kX25519KeyBytes) +
    (KeyTree::kMaxMembers - 1) * (1 + 1 + kX25519KeyBytes);

enum class TreeParseError : std::uint8_t {
    Ok,
    Truncated,           // the input ends inside a field
    Oversized,           // longer than kMaxTreeEncodingBytes
    UnsupportedVersion,  // first byte is not kTreeFormatVersion
    BadStructure,        // unknown node kind, too deep, leaf count differs from the header
    TooManyMembers,      // the header announces more than KeyTree::kMaxMembers
    BadMemberId,         // a leaf id that is not 1..32 of [A-Za-z0-9_-]
    DuplicateMember,     // two leaves with the same id
    BadKeyLength,        // a key length other than 32 (or 0 on an internal node)
    TrailingBytes,       // bytes after the root's subtree
};

std::string_view to_string(TreeParseError error) noexcept;

std::vector<std::uint8_t> serialize_tree(const KeyTree& tree);

// On Ok, `tree` holds the parsed state; on any error it is left unchanged.
TreeParseError parse_tree(std::span<const std::uint8_t> bytes, KeyTree& tree);

}  // namespace mcsec::control::mike
