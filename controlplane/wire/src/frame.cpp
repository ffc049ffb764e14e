#include "mcsec/control/wire/frame.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace mcsec::control::wire {

FrameError peek_header(std::span<const std::uint8_t> bytes, const FrameFormat& format,
                       FrameHeader& header) noexcept {
    ByteReader reader(bytes);
    const auto magic0 = reader.u8();
    const auto magic1 = reader.u8();
    const auto version = reader.u8();
    const auto type = reader.u8();
    const auto length = reader.u16();
    // The magic before the size: a short datagram of another protocol is "bad magic".
    if (magic0 && *magic0 != format.magic0) return FrameError::BadMagic;
    if (magic1 && *magic1 != format.magic1) return FrameError::BadMagic;
    if (!length) return FrameError::Truncated;
    if (*version != format.version) return FrameError::UnsupportedVersion;
    if (*type < format.first_type || *type > format.last_type) return FrameError::UnknownType;
    if (*length < kHeaderBytes || *length > format.max_bytes) return FrameError::BadLength;
    header.type = *type;
    header.length = *length;
    return FrameError::Ok;
}

FrameError open_signed_frame(std::span<const std::uint8_t> datagram, const FrameFormat& format,
                             SignedFrame& frame) noexcept {
    if (datagram.size() > format.max_bytes) return FrameError::Oversized;
    if (const auto error = peek_header(datagram, format, frame.header); error != FrameError::Ok) {
        return error;
    }
    if (datagram.size() < frame.header.length) return FrameError::Truncated;
    ByteReader trailer(datagram.subspan(frame.header.length));
    const auto signature_length = trailer.u16();
    if (!signature_length) return FrameError::Truncated;
    if (*signature_length == 0) return FrameError::BadSignatureLength;
    const auto signature = trailer.bytes(*signature_length);
    if (!signature) return FrameError::Truncated;
    if (trailer.remaining() != 0) return FrameError::TrailingBytes;
    frame.signed_bytes = datagram.first(frame.header.length);
    frame.body = frame.signed_bytes.subspan(kHeaderBytes);
    frame.signature = *signature;
    return FrameError::Ok;
}

std::size_t begin_frame(ByteWriter& writer, const FrameFormat& format, std::uint8_t type) {
    const std::size_t start = writer.size();
    writer.u8(format.magic0);
    writer.u8(format.magic1);
    writer.u8(format.version);
    writer.u8(type);
    writer.u16(0);  // the length, set by finish_frame()
    return start;
}

void finish_frame(ByteWriter& writer, std::size_t start, const FrameFormat& format,
                  std::size_t reserve, std::string_view what) {
    const std::size_t length = writer.size() - start;
    if (length + reserve > format.max_bytes) {
        throw std::length_error(std::string(what) + ": message above " +
                                std::to_string(format.max_bytes) + " bytes");
    }
    writer.patch_u16(start + kLengthOffset, static_cast<std::uint16_t>(length));
}

void write_credential(ByteWriter& writer, std::span<const std::uint8_t> credential,
                      std::string_view what) {
    if (credential.size() > std::numeric_limits<std::uint16_t>::max()) {
        throw std::length_error(std::string(what) + ": credential too large");
    }
    writer.u16(static_cast<std::uint16_t>(credential.size()));
    writer.bytes(credential);
}

FrameError read_credential(ByteReader& reader, std::vector<std::uint8_t>& credential) {
    const auto length = reader.u16();
    if (!length) return FrameError::Truncated;
    const auto bytes = reader.bytes(*length);
    if (!bytes) return FrameError::Truncated;
    credential.assign(bytes->begin(), bytes->end());
    return FrameError::Ok;
}

void append_signature(std::vector<std::uint8_t>& message, const MessageAuthenticator& signer,
                      const FrameFormat& format, std::string_view what) {
    const auto signature = signer.sign(message);
    if (signature.empty() || signature.size() > signer.max_signature_size()) {
        throw std::logic_error(std::string(what) + ": signature size outside the signer's bounds");
    }
    if (message.size() + kSignatureLengthBytes + signature.size() > format.max_bytes) {
        throw std::length_error(std::string(what) + ": signature does not fit the datagram");
    }
    ByteWriter writer(message);
    writer.u16(static_cast<std::uint16_t>(signature.size()));
    writer.bytes(signature);
}

void finish_signed_frame(std::vector<std::uint8_t>& message, ByteWriter& writer, std::size_t start,
                         const FrameFormat& format, const MessageAuthenticator& signer,
                         std::string_view what) {
    write_credential(writer, signer.credential(), what);
    finish_frame(writer, start, format, trailer_bytes(signer.max_signature_size()), what);
    append_signature(message, signer, format, what);
}

std::string_view to_string(FrameError error) noexcept {
    switch (error) {
        case FrameError::Ok:
            return "ok";
        case FrameError::Truncated:
            return "truncated";
        case FrameError::Oversized:
            return "oversized";
        case FrameError::BadMagic:
            return "bad magic";
        case FrameError::UnsupportedVersion:
            return "unsupported version";
        case FrameError::UnknownType:
            return "unknown type";
        case FrameError::BadLength:
            return "bad length";
        case FrameError::BadSignatureLength:
            return "bad signature length";
        case FrameError::TrailingBytes:
            return "trailing bytes";
    }
    return "unknown";
}

}  // namespace mcsec::control::wire
