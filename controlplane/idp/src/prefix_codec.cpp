#include <stdexcept>

#include "mcsec/control/idp/prefix_messages.hpp"
#include "mcsec/control/idp/wire_fields.hpp"
#include "mcsec/control/wire/fields.hpp"

namespace mcsec::control::idp {

std::vector<std::uint8_t> encode_prefix_announcement(const PrefixAnnouncement& announcement) {
    if (announcement.prefixes.size() > kMaxPrefixesPerAnnouncement) {
        throw std::invalid_argument("IDP prefix announcement: too many prefixes");
    }
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    begin_message(writer, MessageType::PrefixAnnouncement);
    wire::write_node_id(writer, announcement.node_id);
    writer.u64(announcement.startup_timestamp);
    writer.u64(announcement.version);
    writer.u16(static_cast<std::uint16_t>(announcement.prefixes.size()));
    for (const auto& prefix : announcement.prefixes) write_prefix(writer, prefix);
    finish_header(writer, 0);
    return out;
}

std::vector<std::uint8_t> encode_prefix_ack(const PrefixAck& ack) {
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    begin_message(writer, MessageType::PrefixAck);
    wire::write_node_id(writer, ack.node_id);
    writer.u64(ack.startup_timestamp);
    writer.u64(ack.version);
    finish_header(writer, 0);
    return out;
}

ParseError parse_prefix_announcement(std::span<const std::uint8_t> bytes,
                                     PrefixAnnouncement& announcement) {
    std::span<const std::uint8_t> body_bytes;
    if (const auto error =
            open_unsigned_message(bytes, MessageType::PrefixAnnouncement, body_bytes);
        error != ParseError::Ok) {
        return error;
    }
    ByteReader body(body_bytes);
    if (const auto error = idp::read_node_id(body, announcement.node_id); error != ParseError::Ok) {
        return error;
    }
    const auto startup_timestamp = body.u64();
    const auto version = body.u64();
    const auto count = body.u16();
    if (!count) return ParseError::Truncated;
    // Refused before anything is allocated for them.
    if (*count > kMaxPrefixesPerAnnouncement) return ParseError::TooManyPrefixes;
    announcement.startup_timestamp = *startup_timestamp;
    announcement.version = *version;
    announcement.prefixes.assign(*count, config::Prefix{});
    for (auto& prefix : announcement.prefixes) {
        if (const auto error = idp::read_prefix(body, prefix); error != ParseError::Ok)
            return error;
    }
    if (body.remaining() != 0) return ParseError::TrailingBytes;
    return ParseError::Ok;
}

ParseError parse_prefix_ack(std::span<const std::uint8_t> bytes, PrefixAck& ack) {
    std::span<const std::uint8_t> body_bytes;
    if (const auto error = open_unsigned_message(bytes, MessageType::PrefixAck, body_bytes);
        error != ParseError::Ok) {
        return error;
    }
    ByteReader body(body_bytes);
    if (const auto error = idp::read_node_id(body, ack.node_id); error != ParseError::Ok)
        return error;
    const auto startup_timestamp = body.u64();
    const auto version = body.u64();
    if (!version) return ParseError::Truncated;
    if (body.remaining() != 0) return ParseError::TrailingBytes;
    ack.startup_timestamp = *startup_timestamp;
    ack.version = *version;
    return ParseError::Ok;
}

}  // namespace mcsec::control::idp
