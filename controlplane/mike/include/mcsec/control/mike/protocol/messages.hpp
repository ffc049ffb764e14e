// The MIKE protocol messages on the wire (docs/protocol/mike.md, "Messages"): one signed datagram
// format with a common header and five bodies. Encoding signs through the MessageAuthenticator;
// parsing checks structure only (every read bounds-checked, the tree through parse_tree) and
// leaves the signature to the caller, which first checks the sender's liveness and replay state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/mike/derivations.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/x25519.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::mike {

inline constexpr std::uint8_t kMessageMagic0 = 'M';
inline constexpr std::uint8_t kMessageMagic1 = 'K';
inline constexpr std::uint8_t kMessageVersion = 1;
// A datagram never exceeds this (the kernel fragments what the black MTU cannot carry).
inline constexpr std::size_t kMaxDatagramBytes = 65000;
// magic (2), version (1), type (1), signed length (2): the control-plane frame (wire/frame.hpp).
inline constexpr std::size_t kMessageHeaderBytes = wire::kHeaderBytes;
inline constexpr std::size_t kMaxGroupIdBytes = 255;
// The TM refuses joins beyond this, so a TREE_STATE (about 100 bytes per member) always fits a
// datagram with a certificate and a signature.
inline constexpr std::size_t kMaxGroupMembers = 256;

enum class MessageType : std::uint8_t {
    TreeState = 1,    // TM -> all: the public tree of an epoch, complete or naming its sponsor
    PathUpdate = 2,   // sponsor -> TM: the blinded keys of its path for an epoch
    JoinRequest = 3,  // (re)joining node -> TM: its leaf public key
    Ack = 4,          // member -> TM: "I hold the key of this epoch and tree"
    Handover = 5,     // TM -> successor (and everyone): the TM role and state; also "I leave"
};

std::string_view to_string(MessageType type) noexcept;

// Whether an outgoing datagram concerns only the group's TM: an ACK. Every other member ignores
// ACKs, so the daemon unicasts them to the TM instead of multicasting N-1 ACKs per epoch to N
// nodes (on a small box shared by many instances, those wake-ups were most of a join's tail).
bool only_for_tm(std::span<const std::uint8_t> datagram) noexcept;

// The signed fields every message carries.
struct MessageHeader {
    MessageType type = MessageType::TreeState;
    std::vector<std::uint8_t> group_id;  // 1..255 bytes
    NodeId sender;
    // The sender's IDP startup timestamp: which run of the sender speaks. Must equal what the
    // receiver's discovery reported for that peer.
    std::uint64_t session = 0;
    // Per sender and session, 1 for the first message, +1 per new message. A retransmission is
    // an identical copy and reuses its number.
    std::uint64_t number = 0;
    // TREE_STATE, PATH_UPDATE, ACK, HANDOVER: the epoch they are about. JOIN_REQUEST: the highest
    // epoch the joiner has seen, so the TM numbers the next epoch above it.
    std::uint64_t epoch = 0;

    friend bool operator==(const MessageHeader&, const MessageHeader&) = default;
};

struct TreeStateBody {
    NodeId sponsor;  // empty when the tree is complete; else the member whose update is awaited
    KeyTree tree;    // tree.epoch() == header.epoch
};

struct PathUpdateBody {
    std::vector<X25519PublicKey> path_keys;  // leaf first, root last; sponsor = header.sender
};

struct JoinRequestBody {
    X25519PublicKey leaf_key{};
};

struct AckBody {
    TreeHash tree_hash{};  // of the complete tree whose key the sender derived
};

struct HandoverBody {
    bool sender_leaves = false;  // the sender shuts down: exclude it from election, remove it
    NodeId successor;            // the node that takes the TM role; empty from a leaving non-TM
    bool has_tree = false;       // the TM's state goes with the role
    NodeId sponsor;              // as in TREE_STATE, when the tree is incomplete
    KeyTree tree;
};

using MessageBody =
    std::variant<TreeStateBody, PathUpdateBody, JoinRequestBody, AckBody, HandoverBody>;

struct Message {
    MessageHeader header;
    MessageBody body;
    // The sender's MessageAuthenticator::credential(), so receivers verify without prior contact.
    std::vector<std::uint8_t> credential;
};

struct ParsedMessage {
    Message message;
    // Views into the parsed datagram: every byte the signature covers, and the signature.
    std::span<const std::uint8_t> signed_bytes;
    std::span<const std::uint8_t> signature;
};

// One row per reason the parser refuses bytes; every one raises MALFORMED_PACKET.
#define MCSEC_MIKE_MESSAGE_PARSE_ERRORS(X)                                               \
    X(Ok, "ok")                                                                          \
    X(Truncated, "input ends inside a field or before the signed length")                \
    X(Oversized, "longer than the 65000-byte datagram limit")                            \
    X(BadMagic, "does not start with the MIKE magic \"MK\"")                             \
    X(UnsupportedVersion, "wire version other than 1")                                   \
    X(UnknownType, "unknown message type")                                               \
    X(BadLength, "signed length smaller than the header or above the datagram limit")    \
    X(BadGroupId, "group id empty")                                                      \
    X(BadNodeId, "node id that is not 1..32 of [A-Za-z0-9_-]")                           \
    X(ZeroNumber, "message number 0")                                                    \
    X(BadTree, "tree state that does not parse (see the tree codec)")                    \
    X(TooManyMembers, "tree with more members than a group may have")                    \
    X(EpochMismatch, "tree epoch differs from the header's epoch")                       \
    X(BadSponsor, "sponsor absent from an incomplete tree, or named for a complete one") \
    X(BadKeyCount, "path update with 0 or more than 33 keys")                            \
    X(BadFlags, "reserved flag bits set")                                                \
    X(BadSignatureLength, "empty signature")                                             \
    X(TrailingBytes, "bytes after the last field")

enum class MessageParseError : std::uint8_t {
#define MCSEC_MIKE_ENUMERATOR(name, text) name,
    MCSEC_MIKE_MESSAGE_PARSE_ERRORS(MCSEC_MIKE_ENUMERATOR)
#undef MCSEC_MIKE_ENUMERATOR
};

inline constexpr std::size_t kMessageParseErrorCount = 0
#define MCSEC_MIKE_COUNT(name, text) +1
    MCSEC_MIKE_MESSAGE_PARSE_ERRORS(MCSEC_MIKE_COUNT)
#undef MCSEC_MIKE_COUNT
    ;

std::string_view to_string(MessageParseError error) noexcept;

// The bytes the signature covers (header, fields, body, credential). Throws std::length_error
// when the message cannot fit kMaxDatagramBytes with a signature of `signature_bytes`.
std::vector<std::uint8_t> encode_message_unsigned(const Message& message,
                                                  std::size_t signature_bytes);

// The complete datagram signed by `signer`; the caller fills header.sender and credential with
// the signer's node id and credential (GroupKeying does).
std::vector<std::uint8_t> encode_message(const Message& message,
                                         const MessageAuthenticator& signer);

// Structure only; on any error `parsed` is unspecified.
MessageParseError parse_message(std::span<const std::uint8_t> datagram, ParsedMessage& parsed);

}  // namespace mcsec::control::mike
