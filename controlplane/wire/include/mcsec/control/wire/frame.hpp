// The frame every control-plane message of mcsec shares (docs/protocol.md, "Wire frame"): a
// 6-byte header (2 magic bytes, version, type, length), a body, and for signed messages the
// sender's credential at the end of the signed part and a signature trailer after it.
//
//   magic0 magic1 version type | length (u16) | body ... | credential length (u16) credential
//   | signature length (u16) signature                                   <- the trailer
//
// The length counts header, body and credential: exactly the bytes the signature covers. It
// cannot count the trailer, since it is signed itself and signatures vary in size (ECDSA). IDP,
// MIKE and registration each give their own magic, version, types and size limit
// (FrameFormat), and map FrameError onto their own parse-error table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/wire/byte_io.hpp"

namespace mcsec::control::wire {

inline constexpr std::size_t kHeaderBytes = 6;
inline constexpr std::size_t kLengthOffset = 4;  // after magic, version and type
inline constexpr std::size_t kSignatureLengthBytes = 2;

struct FrameFormat {
    std::uint8_t magic0 = 0;
    std::uint8_t magic1 = 0;
    std::uint8_t version = 0;
    std::uint8_t first_type = 0;  // the types this protocol defines: first_type..last_type
    std::uint8_t last_type = 0;
    std::size_t max_bytes = 0;  // the whole datagram, trailer included
};

enum class FrameError : std::uint8_t {
    Ok,
    Truncated,           // ends inside the header, a field, before `length` or in the trailer
    Oversized,           // more than max_bytes
    BadMagic,            // not this protocol (checked first, even on one byte)
    UnsupportedVersion,  // another version of this protocol
    UnknownType,         // a type outside first_type..last_type
    BadLength,           // length below the header or above max_bytes
    BadSignatureLength,  // an empty signature
    TrailingBytes,       // anything after the signature (or, unsigned, after `length`)
};

struct FrameHeader {
    std::uint8_t type = 0;
    std::uint16_t length = 0;
};

// Checks the header at the start of `bytes`, which may hold more (a TLS stream, or the rest of
// the datagram). Ok says only that the header itself is sound.
FrameError peek_header(std::span<const std::uint8_t> bytes, const FrameFormat& format,
                       FrameHeader& header) noexcept;

// A signed datagram taken apart: sizes, header, trailer, nothing after it. `body` views the
// bytes after the header up to `length` (body fields, then the credential); `signed_bytes` is
// everything the signature covers.
struct SignedFrame {
    FrameHeader header;
    std::span<const std::uint8_t> body;
    std::span<const std::uint8_t> signed_bytes;
    std::span<const std::uint8_t> signature;
};
FrameError open_signed_frame(std::span<const std::uint8_t> datagram, const FrameFormat& format,
                             SignedFrame& frame) noexcept;

// Writes the header with a zero length; returns where it starts, for finish_frame().
std::size_t begin_frame(ByteWriter& writer, const FrameFormat& format, std::uint8_t type);
// Sets the length to everything written since `start`, after checking that it fits
// `max_bytes` with `reserve` more bytes (the trailer to come). Throws std::length_error naming
// `what` otherwise.
void finish_frame(ByteWriter& writer, std::size_t start, const FrameFormat& format,
                  std::size_t reserve, std::string_view what);

// The credential field that ends the signed part: u16 length + bytes. The writer throws
// std::length_error naming `what` beyond 65,535 bytes; the reader fails only on truncation.
void write_credential(ByteWriter& writer, std::span<const std::uint8_t> credential,
                      std::string_view what);
FrameError read_credential(ByteReader& reader, std::vector<std::uint8_t>& credential);

// The trailer for a signed frame's `max_bytes` with a signature at most this large.
constexpr std::size_t trailer_bytes(std::size_t max_signature_size) noexcept {
    return kSignatureLengthBytes + max_signature_size;
}
// Signs `message` (every byte so far: a finished frame) and appends the trailer. Throws
// std::logic_error naming `what` if the signer returns a size outside its own bounds, and
// std::length_error if the datagram would exceed the format's limit.
void append_signature(std::vector<std::uint8_t>& message, const MessageAuthenticator& signer,
                      const FrameFormat& format, std::string_view what);

// The usual end of a signed message: the signer's credential, the length, the signature
// (write_credential, finish_frame and append_signature in one). `writer` writes into `message`.
void finish_signed_frame(std::vector<std::uint8_t>& message, ByteWriter& writer, std::size_t start,
                         const FrameFormat& format, const MessageAuthenticator& signer,
                         std::string_view what);

std::string_view to_string(FrameError error) noexcept;

// A frame error in a protocol's own parse-error table, whose enumerators have the same names
// (every protocol's table has them); an unknown type is `unknown_type` (IDP calls it WrongType).
template <typename ParseError>
constexpr ParseError to_parse_error(FrameError error, ParseError unknown_type) noexcept {
    switch (error) {
        case FrameError::Ok:
            return ParseError::Ok;
        case FrameError::Truncated:
            return ParseError::Truncated;
        case FrameError::Oversized:
            return ParseError::Oversized;
        case FrameError::BadMagic:
            return ParseError::BadMagic;
        case FrameError::UnsupportedVersion:
            return ParseError::UnsupportedVersion;
        case FrameError::UnknownType:
            return unknown_type;
        case FrameError::BadLength:
            return ParseError::BadLength;
        case FrameError::BadSignatureLength:
            return ParseError::BadSignatureLength;
        case FrameError::TrailingBytes:
            return ParseError::TrailingBytes;
    }
    return ParseError::Truncated;
}

}  // namespace mcsec::control::wire
