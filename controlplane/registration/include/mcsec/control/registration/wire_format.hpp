// What every registration message shares on the wire (docs/protocol/registration.md, "Common
// header"), and the one table of parse errors. The frame is the control plane's shared one
// (wire/frame.hpp: big-endian, length-prefixed fields, a signature trailer outside the length)
// with its own magic "RG", so the daemon tells the protocols apart by a datagram's first two
// bytes on the black socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::registration {

inline constexpr std::uint8_t kMagic0 = 'R';
inline constexpr std::uint8_t kMagic1 = 'G';
inline constexpr std::uint8_t kWireVersion = 1;
// magic (2), version (1), type (1), total length (2).
inline constexpr std::size_t kHeaderBytes = wire::kHeaderBytes;
// One unfragmented datagram on a 1500-byte black MTU, like every IDP message.
inline constexpr std::size_t kMaxMessageBytes = 1400;

enum class MessageType : std::uint8_t {
    Register = 1,  // member -> TM: (re)register in a group
    Delete = 2,    // member -> TM: leave a group
    Ack = 3,       // TM -> member: answers a REGISTER or DELETE that asked for it
    Alarm = 4,     // either way: an error indication (seed 001, section 3.2.3)
};

inline constexpr wire::FrameFormat kFrameFormat{kMagic0,
                                                kMagic1,
                                                kWireVersion,
                                                static_cast<std::uint8_t>(MessageType::Register),
                                                static_cast<std::uint8_t>(MessageType::Alarm),
                                                kMaxMessageBytes};

// REGISTER / DELETE flags (seed 001, section 3.2.1). Every other bit must be zero.
inline constexpr std::uint8_t kFlagRefresh = 0x01;      // renews the sender's registration
inline constexpr std::uint8_t kFlagAckRequired = 0x02;  // the receiver must answer with an ACK

// SPIs 1..255 are reserved by RFC 4303 and 0 means "no SA": allocated SPIs start here.
inline constexpr std::uint32_t kMinSpi = 0x100;

// Longest registration lifetime a REGISTER may ask for or an ACK may grant (one day): a larger
// value is more likely a corrupted field than an intent.
inline constexpr std::uint32_t kMaxLifetimeSeconds = 86400;
// Longest operator-facing text an ALARM carries.
inline constexpr std::size_t kMaxAlarmDetailBytes = 200;

// One row per reason a parser refuses bytes: the enumerator and its operator-facing text. Every
// error counts as a malformed datagram and raises the MALFORMED_PACKET alarm locally.
#define MCSEC_REGISTRATION_PARSE_ERRORS(X)                                           \
    X(Ok, "ok")                                                                      \
    X(Truncated, "input ends inside a field or before the length in the header")     \
    X(Oversized, "longer than the 1400-byte message limit")                          \
    X(BadMagic, "does not start with the registration magic \"RG\"")                 \
    X(UnsupportedVersion, "wire version other than 1")                               \
    X(UnknownType, "message type other than REGISTER, DELETE, ACK or ALARM")         \
    X(BadLength, "header length smaller than the header or above the message limit") \
    X(BadNodeId, "node id that is not 1..32 of [A-Za-z0-9_-]")                       \
    X(BadAddressFamily, "group address family other than 4 or 6")                    \
    X(BadGroup, "group address that is not multicast")                               \
    X(BadFlags, "unknown flag bits, or REFRESH on a DELETE")                         \
    X(BadLifetime, "lifetime of 0 or above one day where one is required")           \
    X(BadAckedType, "ACK of a type other than REGISTER or DELETE")                   \
    X(BadSpi, "SPI in the reserved range 1..255")                                    \
    X(BadAlarmType, "alarm type other than 1..4")                                    \
    X(BadDetail, "alarm detail longer than 200 bytes or not printable ASCII")        \
    X(BadSignatureLength, "empty signature")                                         \
    X(TrailingBytes, "bytes after the last field")

enum class ParseError : std::uint8_t {
#define MCSEC_REGISTRATION_ENUMERATOR(name, text) name,
    MCSEC_REGISTRATION_PARSE_ERRORS(MCSEC_REGISTRATION_ENUMERATOR)
#undef MCSEC_REGISTRATION_ENUMERATOR
};

inline constexpr std::size_t kParseErrorCount = 0
#define MCSEC_REGISTRATION_COUNT(name, text) +1
    MCSEC_REGISTRATION_PARSE_ERRORS(MCSEC_REGISTRATION_COUNT)
#undef MCSEC_REGISTRATION_COUNT
    ;

std::string_view to_string(ParseError error) noexcept;
// The shared frame's errors in registration's table.
ParseError from_wire(wire::FrameError error) noexcept;
std::string_view to_string(MessageType type) noexcept;

// True when `datagram` starts with "RG": how the daemon routes a datagram from the shared black
// socket here rather than to IDP ("ID") or MIKE.
bool has_registration_magic(std::span<const std::uint8_t> datagram) noexcept;

struct MessageHeader {
    MessageType type = MessageType::Register;
    std::uint16_t length = 0;  // header + body; the signature trailer comes after
};

// Checks the header at the start of `datagram`; Ok says only that the header itself is sound.
ParseError peek_header(std::span<const std::uint8_t> datagram, MessageHeader& header) noexcept;

}  // namespace mcsec::control::registration
