// What every IDP message shares on the wire (docs/protocol/idp.md, "Common header"), and the one
// table of parse errors. Hellos travel as UDP datagrams on the black multicast group; prefix
// messages on a TLS stream, where the header's length field frames them.
//
// The length field counts the header and the body. A signed type (HELLO) is followed by a
// signature trailer that the length leaves out: the signature covers the length field, so the
// length cannot depend on the signature's size (ECDSA signatures vary by a few bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::idp {

inline constexpr std::uint8_t kMagic0 = 'I';
inline constexpr std::uint8_t kMagic1 = 'D';
// 2: hellos carry the groups the sender serves (issue 12); version 1 peers are refused.
inline constexpr std::uint8_t kWireVersion = 2;
// magic (2), version (1), type (1), total length (2): the control-plane frame (wire/frame.hpp).
inline constexpr std::size_t kHeaderBytes = wire::kHeaderBytes;
// Every IDP message fits one unfragmented datagram on a 1500-byte black MTU, with room left for
// IPv6 + UDP headers and ESP/tunnel overhead on the path.
inline constexpr std::size_t kMaxMessageBytes = 1400;

enum class MessageType : std::uint8_t {
    Hello = 1,               // signed, multicast on the black network
    PrefixAnnouncement = 2,  // TLS unicast: the sender's red prefixes
    PrefixAck = 3,           // TLS unicast: "I hold your announcement of this version"
};

inline constexpr wire::FrameFormat kFrameFormat{kMagic0,
                                                kMagic1,
                                                kWireVersion,
                                                static_cast<std::uint8_t>(MessageType::Hello),
                                                static_cast<std::uint8_t>(MessageType::PrefixAck),
                                                kMaxMessageBytes};

// One row per reason a parser refuses bytes: the enumerator and its operator-facing text.
// Every error raises the MALFORMED_PACKET alarm when it comes from the network.
#define MCSEC_IDP_PARSE_ERRORS(X)                                                          \
    X(Ok, "ok")                                                                            \
    X(Truncated, "input ends inside a field or before the length in the header")           \
    X(Oversized, "longer than the 1400-byte message limit")                                \
    X(BadMagic, "does not start with the IDP magic \"ID\"")                                \
    X(UnsupportedVersion, "wire version other than 2")                                     \
    X(WrongType, "unknown message type, or not the type expected here")                    \
    X(BadLength, "header length smaller than the header or above the message limit")       \
    X(BadNodeId, "node id that is not 1..32 of [A-Za-z0-9_-]")                             \
    X(BadAddressFamily, "address family other than 4 or 6")                                \
    X(BadAddress, "black address that is unspecified or multicast")                        \
    X(BadPrefix, "prefix length beyond the family's bits, or host bits set")               \
    X(TooManyPrefixes, "more prefixes than one announcement may carry")                    \
    X(BadSignatureLength, "empty signature")                                               \
    X(BadGroupList, "served group name empty, over 64 bytes, repeated, or over 64 groups") \
    X(TrailingBytes, "bytes after the last field")

enum class ParseError : std::uint8_t {
#define MCSEC_IDP_ENUMERATOR(name, text) name,
    MCSEC_IDP_PARSE_ERRORS(MCSEC_IDP_ENUMERATOR)
#undef MCSEC_IDP_ENUMERATOR
};

inline constexpr std::size_t kParseErrorCount = 0
#define MCSEC_IDP_COUNT(name, text) +1
    MCSEC_IDP_PARSE_ERRORS(MCSEC_IDP_COUNT)
#undef MCSEC_IDP_COUNT
    ;

std::string_view to_string(ParseError error) noexcept;
// The shared frame's and fields' errors in IDP's table (an unknown type is WrongType).
ParseError from_wire(wire::FrameError error) noexcept;
ParseError from_wire(wire::FieldError error) noexcept;

struct MessageHeader {
    MessageType type = MessageType::Hello;
    std::uint16_t length = 0;  // header + body; a signed type's trailer comes after
};

// Checks the header at the start of `bytes` (which may hold more than one message, as a TLS
// stream does). Ok says only that the header itself is sound; for an unsigned type,
// `header.length` bytes make one message, which the caller may still have to wait for.
ParseError peek_header(std::span<const std::uint8_t> bytes, MessageHeader& header) noexcept;

}  // namespace mcsec::control::idp
