#include "mcsec/control/idp/wire_fields.hpp"

#include <stdexcept>

#include "mcsec/control/wire/fields.hpp"

namespace mcsec::control::idp {

void begin_message(ByteWriter& writer, MessageType type) {
    wire::begin_frame(writer, kFrameFormat, static_cast<std::uint8_t>(type));
}

void finish_header(ByteWriter& writer, std::size_t start, std::size_t reserve) {
    wire::finish_frame(writer, start, kFrameFormat, reserve, "IDP message");
}

ParseError open_unsigned_message(std::span<const std::uint8_t> bytes, MessageType type,
                                 std::span<const std::uint8_t>& body) noexcept {
    if (bytes.size() > kMaxMessageBytes) return ParseError::Oversized;
    MessageHeader header;
    if (const auto error = peek_header(bytes, header); error != ParseError::Ok) return error;
    if (header.type != type) return ParseError::WrongType;
    if (bytes.size() < header.length) return ParseError::Truncated;
    if (bytes.size() > header.length) return ParseError::TrailingBytes;
    body = bytes.subspan(kHeaderBytes);
    return ParseError::Ok;
}

ParseError read_node_id(ByteReader& reader, NodeId& id) {
    return from_wire(wire::read_node_id(reader, id));
}

ParseError read_address(ByteReader& reader, config::IpAddress& address) {
    return from_wire(wire::read_address(reader, address));
}

void write_prefix(ByteWriter& writer, const config::Prefix& prefix) {
    if (prefix.has_host_bits()) throw std::invalid_argument("IDP prefix with host bits set");
    wire::write_family(writer, prefix.address());
    writer.u8(static_cast<std::uint8_t>(prefix.length()));
    writer.bytes(prefix.address().bytes());
}

ParseError read_prefix(ByteReader& reader, config::Prefix& prefix) {
    const auto family = reader.u8();
    const auto length = reader.u8();
    if (!length) return ParseError::Truncated;
    config::IpAddress address;
    if (const auto error = from_wire(wire::read_address_bytes(reader, *family, address));
        error != ParseError::Ok) {
        return error;
    }
    const auto made = config::Prefix::make(address, *length);
    if (!made || made->has_host_bits()) return ParseError::BadPrefix;
    prefix = *made;
    return ParseError::Ok;
}

}  // namespace mcsec::control::idp
