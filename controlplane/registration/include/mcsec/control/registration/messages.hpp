// The four signed registration messages (docs/protocol/registration.md): REGISTER, DELETE, ACK and
// ALARM of seed 001. Encoding signs through the MessageAuthenticator; parsing only checks
// structure and leaves the signature to the receiver, which knows the sender's replay state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/registration/wire_format.hpp"

namespace mcsec::control::registration {

// The seed's alarm indications, with their wire codes.
enum class AlarmKind : std::uint8_t {
    SaExpired = 1,        // an SA reached its hard lifetime without a successor
    MalformedPacket = 2,  // a message from the peer could not be parsed or made no sense
    ServerConflict = 3,   // two TMs for one group, or one SPI given to two groups
    SignFailed = 4,       // a message claiming to be from the peer failed its signature check
};

// The seed's upper-case names ("SA_EXPIRED", ...), as logs and the operator API show them.
std::string_view to_string(AlarmKind kind) noexcept;

// Member -> TM: register in `group` with `tm`, or renew (REFRESH).
struct RegisterBody {
    // The node the member addresses as the group's TM; a TM that serves the group but is not
    // this node has found a second TM (SERVER_CONFLICT).
    NodeId tm;
    std::uint8_t flags = 0;
    // Requested registration lifetime, 1..kMaxLifetimeSeconds.
    std::uint32_t lifetime_s = 0;

    friend bool operator==(const RegisterBody&, const RegisterBody&) = default;
};

// Member -> TM: leave `group`.
struct DeleteBody {
    NodeId tm;
    std::uint8_t flags = 0;  // ACK_REQD only

    friend bool operator==(const DeleteBody&, const DeleteBody&) = default;
};

// TM -> member: "I processed your request with this timestamp".
struct AckBody {
    NodeId member;                          // the node whose request this answers
    std::uint64_t reflected_timestamp = 0;  // that request's timestamp
    MessageType acked = MessageType::Register;
    // What a REGISTER was granted: the lifetime (0 for a DELETE), and the group's current epoch
    // and its SPI (0 when the group has no keyed epoch yet).
    std::uint32_t lifetime_s = 0;
    std::uint64_t epoch = 0;
    std::uint32_t spi = 0;

    friend bool operator==(const AckBody&, const AckBody&) = default;
};

struct AlarmBody {
    AlarmKind kind = AlarmKind::SaExpired;
    NodeId peer;            // the node the alarm is about (the seed's "Peer" field)
    std::uint32_t spi = 0;  // the SA concerned, 0 if none
    std::string detail;     // operator-facing, 0..200 printable ASCII

    friend bool operator==(const AlarmBody&, const AlarmBody&) = default;
};

struct Message {
    NodeId sender;
    // The sender's message timestamp: strictly increasing over everything the sender sends
    // (a retransmission is an identical copy and repeats it).
    std::uint64_t timestamp = 0;
    config::IpAddress group;  // multicast
    std::variant<RegisterBody, DeleteBody, AckBody, AlarmBody> body;
    // MessageAuthenticator::credential() of the sender, so that any receiver can check the
    // signature without prior contact (DER certificate, or empty with a PSK).
    std::vector<std::uint8_t> credential;

    MessageType type() const noexcept;
    friend bool operator==(const Message&, const Message&) = default;
};

struct ParsedMessage {
    Message message;
    // Views into the parsed datagram: what the signature covers (the first `length` bytes) and
    // the signature. Valid only while the datagram's bytes are.
    std::span<const std::uint8_t> signed_bytes;
    std::span<const std::uint8_t> signature;
};

// The bytes the signature covers. Throws std::invalid_argument for a field the parser would
// refuse, and std::length_error when no signature of `signature_bytes` fits within 1400 bytes.
std::vector<std::uint8_t> encode_unsigned(const Message& message, std::size_t signature_bytes);

// The complete datagram, signed by `signer`.
std::vector<std::uint8_t> encode(const Message& message, const MessageAuthenticator& signer);

// Structure only (every field range-checked); on any error `parsed` is unspecified.
ParseError parse(std::span<const std::uint8_t> datagram, ParsedMessage& parsed);

}  // namespace mcsec::control::registration
