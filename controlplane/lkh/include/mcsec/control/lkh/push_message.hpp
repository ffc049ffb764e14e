// The wire form of LKH push messages (docs/protocol/lkh.md, "Messages"), in the control-plane
// frame (controlplane/wire: magic "LK", version 1, 6-byte header, credential, signature):
//
//   type 1 REKEY / 2 STATE | group id (u8 length, 1..255 bytes) | sender node id
//   | message id u64 (>= 1) | tree id u64 | degree u8 | height u8 | root version u64
//   | key count u16, then per key: node u32, slot u8 (top bit: chained, no more bytes), then
//     the node's seed wrapped under that child's key (40 bytes, RFC 3394)
//   | TEK flag u8 (0/1), then: epoch u64, SPI u32, wrapped length u8 (32 or 48), RFC 5649 bytes
//   | credential | signature
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/rekey_content.hpp"

namespace mcsec::control::lkh {

inline constexpr std::size_t kMaxPushBytes = 65000;

#define MCSEC_LKH_PARSE_ERRORS(X)                                                  \
    X(Ok, "ok")                                                                    \
    X(Truncated, "ends inside a field")                                            \
    X(Oversized, "larger than 65,000 bytes")                                       \
    X(BadMagic, "not an LKH message")                                              \
    X(UnsupportedVersion, "another LKH version")                                   \
    X(UnknownType, "type other than REKEY or STATE")                               \
    X(BadLength, "length field out of range")                                      \
    X(BadSignatureLength, "empty signature")                                       \
    X(TrailingBytes, "bytes after the signature or the credential")                \
    X(BadGroupId, "empty group id")                                                \
    X(BadNodeId, "sender node id not 1..32 of [A-Za-z0-9_-]")                      \
    X(ZeroMessageId, "message id 0")                                               \
    X(BadShape, "degree not 2, 4 or 8, or height outside 1..24")                   \
    X(BadKeyEntry, "a key entry for a leaf or beyond the tree, or slot >= degree") \
    X(BadTekFlag, "TEK flag other than 0 or 1")                                    \
    X(BadTekLength, "wrapped TEK length other than 32 or 48")

enum class PushParseError : std::uint8_t {
#define MCSEC_LKH_ENUMERATOR(name, text) name,
    MCSEC_LKH_PARSE_ERRORS(MCSEC_LKH_ENUMERATOR)
#undef MCSEC_LKH_ENUMERATOR
};

std::string_view to_string(PushParseError error) noexcept;

// The signed datagram; throws std::length_error if it would exceed kMaxPushBytes.
std::vector<std::uint8_t> encode_push(const PushContent& push, const MessageAuthenticator& signer);

struct ParsedPush {
    PushContent content;
    NodeId sender;
    std::vector<std::uint8_t> credential;
    std::span<const std::uint8_t> signed_bytes;  // views into the datagram
    std::span<const std::uint8_t> signature;
};
// Structure only: the caller verifies the signature (the sender must be the group's designated
// sender) before ReceiverKeys::apply.
PushParseError parse_push(std::span<const std::uint8_t> datagram, ParsedPush& parsed);

}  // namespace mcsec::control::lkh
