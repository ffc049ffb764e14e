// Encoding and parsing of REGISTER, DELETE, ACK and ALARM (docs/protocol/registration.md). The
// field encodings (node id, address, big-endian integers) are IDP's, so both protocols read a node
// id or a group address the same way.
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "mcsec/control/idp/byte_io.hpp"
#include "mcsec/control/idp/wire_fields.hpp"
#include "mcsec/control/registration/messages.hpp"

namespace mcsec::control::registration {

namespace {

using idp::ByteReader;
using idp::ByteWriter;

// The u16 length in front of the signature.
constexpr std::size_t kSignatureLengthBytes = 2;
constexpr std::uint8_t kRegisterFlags = kFlagRefresh | kFlagAckRequired;
constexpr std::uint8_t kDeleteFlags = kFlagAckRequired;

// The shared field readers report IDP's errors; the few they can return have the same meaning
// here.
ParseError from_idp(idp::ParseError error) noexcept {
    switch (error) {
        case idp::ParseError::Ok:
            return ParseError::Ok;
        case idp::ParseError::BadNodeId:
            return ParseError::BadNodeId;
        case idp::ParseError::BadAddressFamily:
            return ParseError::BadAddressFamily;
        default:
            return ParseError::Truncated;
    }
}

// SPIs and lifetimes are 32-bit; the IDP writer has 16- and 64-bit integers only, and two
// big-endian halves are the same bytes as one big-endian u32.
void write_u32(ByteWriter& writer, std::uint32_t value) {
    writer.u16(static_cast<std::uint16_t>(value >> 16));
    writer.u16(static_cast<std::uint16_t>(value));
}

std::optional<std::uint32_t> read_u32(ByteReader& reader) noexcept {
    const auto high = reader.u16();
    const auto low = reader.u16();
    if (!low) return std::nullopt;
    return (std::uint32_t{*high} << 16) | *low;
}

bool is_reserved_spi(std::uint32_t spi) noexcept {
    return spi != 0 && spi < kMinSpi;
}

bool is_valid_detail(std::string_view detail) noexcept {
    if (detail.size() > kMaxAlarmDetailBytes) return false;
    for (const char c : detail) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

bool is_valid_alarm_kind(std::uint8_t code) noexcept {
    return code >= static_cast<std::uint8_t>(AlarmKind::SaExpired) &&
           code <= static_cast<std::uint8_t>(AlarmKind::SignFailed);
}

void require(bool condition, const char* what) {
    if (!condition) throw std::invalid_argument(what);
}

void write_body(ByteWriter& writer, const RegisterBody& body) {
    require((body.flags & ~kRegisterFlags) == 0, "registration: unknown REGISTER flags");
    require(body.lifetime_s >= 1 && body.lifetime_s <= kMaxLifetimeSeconds,
            "registration: REGISTER lifetime outside 1..86400 s");
    idp::write_node_id(writer, body.tm);
    writer.u8(body.flags);
    write_u32(writer, body.lifetime_s);
}

void write_body(ByteWriter& writer, const DeleteBody& body) {
    require((body.flags & ~kDeleteFlags) == 0, "registration: DELETE flags other than ACK_REQD");
    idp::write_node_id(writer, body.tm);
    writer.u8(body.flags);
}

void write_body(ByteWriter& writer, const AckBody& body) {
    require(body.acked == MessageType::Register || body.acked == MessageType::Delete,
            "registration: ACK of a type other than REGISTER or DELETE");
    require(body.acked == MessageType::Register
                ? body.lifetime_s >= 1 && body.lifetime_s <= kMaxLifetimeSeconds
                : body.lifetime_s == 0,
            "registration: ACK lifetime outside its range");
    require(!is_reserved_spi(body.spi), "registration: reserved SPI");
    idp::write_node_id(writer, body.member);
    writer.u64(body.reflected_timestamp);
    writer.u8(static_cast<std::uint8_t>(body.acked));
    write_u32(writer, body.lifetime_s);
    writer.u64(body.epoch);
    write_u32(writer, body.spi);
}

void write_body(ByteWriter& writer, const AlarmBody& body) {
    require(is_valid_alarm_kind(static_cast<std::uint8_t>(body.kind)),
            "registration: unknown alarm type");
    require(!is_reserved_spi(body.spi), "registration: reserved SPI");
    require(is_valid_detail(body.detail), "registration: alarm detail too long or not printable");
    writer.u8(static_cast<std::uint8_t>(body.kind));
    idp::write_node_id(writer, body.peer);
    write_u32(writer, body.spi);
    writer.u8(static_cast<std::uint8_t>(body.detail.size()));
    writer.text(body.detail);
}

ParseError read_register(ByteReader& reader, RegisterBody& body) {
    if (const auto error = idp::read_node_id(reader, body.tm); error != idp::ParseError::Ok) {
        return from_idp(error);
    }
    const auto flags = reader.u8();
    const auto lifetime = read_u32(reader);
    if (!lifetime) return ParseError::Truncated;
    if ((*flags & ~kRegisterFlags) != 0) return ParseError::BadFlags;
    if (*lifetime < 1 || *lifetime > kMaxLifetimeSeconds) return ParseError::BadLifetime;
    body.flags = *flags;
    body.lifetime_s = *lifetime;
    return ParseError::Ok;
}

ParseError read_delete(ByteReader& reader, DeleteBody& body) {
    if (const auto error = idp::read_node_id(reader, body.tm); error != idp::ParseError::Ok) {
        return from_idp(error);
    }
    const auto flags = reader.u8();
    if (!flags) return ParseError::Truncated;
    if ((*flags & ~kDeleteFlags) != 0) return ParseError::BadFlags;
    body.flags = *flags;
    return ParseError::Ok;
}

ParseError read_ack(ByteReader& reader, AckBody& body) {
    if (const auto error = idp::read_node_id(reader, body.member); error != idp::ParseError::Ok) {
        return from_idp(error);
    }
    const auto reflected = reader.u64();
    const auto acked = reader.u8();
    const auto lifetime = read_u32(reader);
    const auto epoch = reader.u64();
    const auto spi = read_u32(reader);
    if (!spi) return ParseError::Truncated;
    if (*acked != static_cast<std::uint8_t>(MessageType::Register) &&
        *acked != static_cast<std::uint8_t>(MessageType::Delete)) {
        return ParseError::BadAckedType;
    }
    body.acked = static_cast<MessageType>(*acked);
    const bool lifetime_ok = body.acked == MessageType::Register
                                 ? *lifetime >= 1 && *lifetime <= kMaxLifetimeSeconds
                                 : *lifetime == 0;
    if (!lifetime_ok) return ParseError::BadLifetime;
    if (is_reserved_spi(*spi)) return ParseError::BadSpi;
    body.reflected_timestamp = *reflected;
    body.lifetime_s = *lifetime;
    body.epoch = *epoch;
    body.spi = *spi;
    return ParseError::Ok;
}

ParseError read_alarm(ByteReader& reader, AlarmBody& body) {
    const auto kind = reader.u8();
    if (!kind) return ParseError::Truncated;
    if (!is_valid_alarm_kind(*kind)) return ParseError::BadAlarmType;
    body.kind = static_cast<AlarmKind>(*kind);
    if (const auto error = idp::read_node_id(reader, body.peer); error != idp::ParseError::Ok) {
        return from_idp(error);
    }
    const auto spi = read_u32(reader);
    const auto detail_length = reader.u8();
    if (!detail_length) return ParseError::Truncated;
    const auto detail = reader.bytes(*detail_length);
    if (!detail) return ParseError::Truncated;
    if (is_reserved_spi(*spi)) return ParseError::BadSpi;
    body.spi = *spi;
    body.detail.assign(detail->begin(), detail->end());
    if (!is_valid_detail(body.detail)) return ParseError::BadDetail;
    return ParseError::Ok;
}

ParseError read_body(ByteReader& reader, MessageType type, Message& message) {
    switch (type) {
        case MessageType::Register:
            return read_register(reader, message.body.emplace<RegisterBody>());
        case MessageType::Delete:
            return read_delete(reader, message.body.emplace<DeleteBody>());
        case MessageType::Ack:
            return read_ack(reader, message.body.emplace<AckBody>());
        case MessageType::Alarm:
            return read_alarm(reader, message.body.emplace<AlarmBody>());
    }
    return ParseError::UnknownType;
}

}  // namespace

std::string_view to_string(AlarmKind kind) noexcept {
    switch (kind) {
        case AlarmKind::SaExpired:
            return "SA_EXPIRED";
        case AlarmKind::MalformedPacket:
            return "MALFORMED_PACKET";
        case AlarmKind::ServerConflict:
            return "SERVER_CONFLICT";
        case AlarmKind::SignFailed:
            return "SIGN_FAILED";
    }
    return "unknown";
}

MessageType Message::type() const noexcept {
    // The variant's alternatives are in wire-code order.
    return static_cast<MessageType>(body.index() + 1);
}

std::vector<std::uint8_t> encode_unsigned(const Message& message, std::size_t signature_bytes) {
    require(message.group.is_multicast(), "registration: group address is not multicast");
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    writer.u8(kMagic0);
    writer.u8(kMagic1);
    writer.u8(kWireVersion);
    writer.u8(static_cast<std::uint8_t>(message.type()));
    writer.u16(0);  // the length, patched below
    idp::write_node_id(writer, message.sender);
    writer.u64(message.timestamp);
    idp::write_address(writer, message.group);
    std::visit([&writer](const auto& body) { write_body(writer, body); }, message.body);
    if (message.credential.size() > std::numeric_limits<std::uint16_t>::max()) {
        throw std::length_error("registration: credential too large");
    }
    writer.u16(static_cast<std::uint16_t>(message.credential.size()));
    writer.bytes(message.credential);
    if (out.size() + kSignatureLengthBytes + signature_bytes > kMaxMessageBytes) {
        throw std::length_error("registration: message and signature exceed 1400 bytes");
    }
    // Offset 4: after magic, version and type.
    writer.patch_u16(4, static_cast<std::uint16_t>(out.size()));
    return out;
}

std::vector<std::uint8_t> encode(const Message& message, const MessageAuthenticator& signer) {
    auto out = encode_unsigned(message, signer.max_signature_size());
    idp::append_signature(out, signer, "registration");
    return out;
}

ParseError parse(std::span<const std::uint8_t> datagram, ParsedMessage& parsed) {
    if (datagram.size() > kMaxMessageBytes) return ParseError::Oversized;
    MessageHeader header;
    if (const auto error = peek_header(datagram, header); error != ParseError::Ok) return error;
    if (datagram.size() < header.length) return ParseError::Truncated;

    // The body ends where the header says; reading past it is truncation, stopping short of it
    // leaves trailing bytes.
    ByteReader body(datagram.first(header.length).subspan(kHeaderBytes));
    Message& message = parsed.message;
    if (const auto error = idp::read_node_id(body, message.sender); error != idp::ParseError::Ok) {
        return from_idp(error);
    }
    const auto timestamp = body.u64();
    if (!timestamp) return ParseError::Truncated;
    message.timestamp = *timestamp;
    if (const auto error = idp::read_address(body, message.group); error != idp::ParseError::Ok) {
        return from_idp(error);
    }
    if (!message.group.is_multicast()) return ParseError::BadGroup;
    if (const auto error = read_body(body, header.type, message); error != ParseError::Ok) {
        return error;
    }
    const auto credential_length = body.u16();
    if (!credential_length) return ParseError::Truncated;
    const auto credential = body.bytes(*credential_length);
    if (!credential) return ParseError::Truncated;
    if (body.remaining() != 0) return ParseError::TrailingBytes;
    message.credential.assign(credential->begin(), credential->end());

    ByteReader trailer(datagram.subspan(header.length));
    const auto signature_length = trailer.u16();
    if (!signature_length) return ParseError::Truncated;
    if (*signature_length == 0) return ParseError::BadSignatureLength;
    const auto signature = trailer.bytes(*signature_length);
    if (!signature) return ParseError::Truncated;
    if (trailer.remaining() != 0) return ParseError::TrailingBytes;

    parsed.signed_bytes = datagram.first(header.length);
    parsed.signature = *signature;
    return ParseError::Ok;
}

}  // namespace mcsec::control::registration
