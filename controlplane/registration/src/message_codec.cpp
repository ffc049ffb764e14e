// Encoding and parsing of REGISTER, DELETE, ACK and ALARM (docs/protocol/registration.md). The
// frame and the field encodings (node id, address, big-endian integers) are the control plane's
// shared ones (wire/), so every protocol reads a node id or a group address the same way.
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "mcsec/control/registration/messages.hpp"
#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::registration {

namespace {

using wire::ByteReader;
using wire::ByteWriter;

constexpr std::uint8_t kRegisterFlags = kFlagRefresh | kFlagAckRequired;
constexpr std::uint8_t kDeleteFlags = kFlagAckRequired;

// The shared field readers' errors have the same meaning here.
ParseError from_wire(wire::FieldError error) noexcept {
    return wire::to_parse_error<ParseError>(error);
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
    wire::write_node_id(writer, body.tm);
    writer.u8(body.flags);
    writer.u32(body.lifetime_s);
}

void write_body(ByteWriter& writer, const DeleteBody& body) {
    require((body.flags & ~kDeleteFlags) == 0, "registration: DELETE flags other than ACK_REQD");
    wire::write_node_id(writer, body.tm);
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
    wire::write_node_id(writer, body.member);
    writer.u64(body.reflected_timestamp);
    writer.u8(static_cast<std::uint8_t>(body.acked));
    writer.u32(body.lifetime_s);
    writer.u64(body.epoch);
    writer.u32(body.spi);
}

void write_body(ByteWriter& writer, const AlarmBody& body) {
    require(is_valid_alarm_kind(static_cast<std::uint8_t>(body.kind)),
            "registration: unknown alarm type");
    require(!is_reserved_spi(body.spi), "registration: reserved SPI");
    require(is_valid_detail(body.detail), "registration: alarm detail too long or not printable");
    writer.u8(static_cast<std::uint8_t>(body.kind));
    wire::write_node_id(writer, body.peer);
    writer.u32(body.spi);
    writer.u8(static_cast<std::uint8_t>(body.detail.size()));
    writer.text(body.detail);
}

ParseError read_register(ByteReader& reader, RegisterBody& body) {
    if (const auto error = wire::read_node_id(reader, body.tm); error != wire::FieldError::Ok) {
        return from_wire(error);
    }
    const auto flags = reader.u8();
    const auto lifetime = reader.u32();
    if (!lifetime) return ParseError::Truncated;
    if ((*flags & ~kRegisterFlags) != 0) return ParseError::BadFlags;
    if (*lifetime < 1 || *lifetime > kMaxLifetimeSeconds) return ParseError::BadLifetime;
    body.flags = *flags;
    body.lifetime_s = *lifetime;
    return ParseError::Ok;
}

ParseError read_delete(ByteReader& reader, DeleteBody& body) {
    if (const auto error = wire::read_node_id(reader, body.tm); error != wire::FieldError::Ok) {
        return from_wire(error);
    }
    const auto flags = reader.u8();
    if (!flags) return ParseError::Truncated;
    if ((*flags & ~kDeleteFlags) != 0) return ParseError::BadFlags;
    body.flags = *flags;
    return ParseError::Ok;
}

ParseError read_ack(ByteReader& reader, AckBody& body) {
    if (const auto error = wire::read_node_id(reader, body.member); error != wire::FieldError::Ok) {
        return from_wire(error);
    }
    const auto reflected = reader.u64();
    const auto acked = reader.u8();
    const auto lifetime = reader.u32();
    const auto epoch = reader.u64();
    const auto spi = reader.u32();
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
    if (const auto error = wire::read_node_id(reader, body.peer); error != wire::FieldError::Ok) {
        return from_wire(error);
    }
    const auto spi = reader.u32();
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
    const std::size_t start =
        wire::begin_frame(writer, kFrameFormat, static_cast<std::uint8_t>(message.type()));
    wire::write_node_id(writer, message.sender);
    writer.u64(message.timestamp);
    wire::write_address(writer, message.group);
    std::visit([&writer](const auto& body) { write_body(writer, body); }, message.body);
    wire::write_credential(writer, message.credential, "registration");
    wire::finish_frame(writer, start, kFrameFormat, wire::trailer_bytes(signature_bytes),
                       "registration");
    return out;
}

std::vector<std::uint8_t> encode(const Message& message, const MessageAuthenticator& signer) {
    auto out = encode_unsigned(message, signer.max_signature_size());
    wire::append_signature(out, signer, kFrameFormat, "registration");
    return out;
}

ParseError parse(std::span<const std::uint8_t> datagram, ParsedMessage& parsed) {
    wire::SignedFrame frame;
    if (const auto error = wire::open_signed_frame(datagram, kFrameFormat, frame);
        error != wire::FrameError::Ok) {
        return from_wire(error);
    }
    // The body ends where the header says; reading past it is truncation, stopping short of it
    // leaves trailing bytes.
    ByteReader body(frame.body);
    Message& message = parsed.message;
    if (const auto error = wire::read_node_id(body, message.sender);
        error != wire::FieldError::Ok) {
        return from_wire(error);
    }
    const auto timestamp = body.u64();
    if (!timestamp) return ParseError::Truncated;
    message.timestamp = *timestamp;
    if (const auto error = wire::read_address(body, message.group); error != wire::FieldError::Ok) {
        return from_wire(error);
    }
    if (!message.group.is_multicast()) return ParseError::BadGroup;
    const auto type = static_cast<MessageType>(frame.header.type);
    if (const auto error = read_body(body, type, message); error != ParseError::Ok) {
        return error;
    }
    if (const auto error = wire::read_credential(body, message.credential);
        error != wire::FrameError::Ok) {
        return from_wire(error);
    }
    if (body.remaining() != 0) return ParseError::TrailingBytes;
    parsed.signed_bytes = frame.signed_bytes;
    parsed.signature = frame.signature;
    return ParseError::Ok;
}

}  // namespace mcsec::control::registration
