#include "mcsec/control/idp/wire_fields.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include "mcsec/control/idp/node_id.hpp"

namespace mcsec::control::idp {

void begin_message(ByteWriter& writer, MessageType type) {
    writer.u8(kMagic0);
    writer.u8(kMagic1);
    writer.u8(kWireVersion);
    writer.u8(static_cast<std::uint8_t>(type));
    writer.u16(0);
}

void finish_header(ByteWriter& writer, std::size_t start) {
    const std::size_t length = writer.size() - start;
    if (length > kMaxMessageBytes) throw std::length_error("IDP message above 1400 bytes");
    // Offset 4 in the header: after magic, version and type.
    writer.patch_u16(start + 4, static_cast<std::uint16_t>(length));
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

void write_node_id(ByteWriter& writer, std::string_view id) {
    if (!is_valid_node_id(id)) throw std::invalid_argument("invalid IDP node id");
    writer.u8(static_cast<std::uint8_t>(id.size()));
    writer.text(id);
}

ParseError read_node_id(ByteReader& reader, NodeId& id) {
    const auto length = reader.u8();
    if (!length) return ParseError::Truncated;
    const auto characters = reader.bytes(*length);
    if (!characters) return ParseError::Truncated;
    id.assign(characters->begin(), characters->end());
    return is_valid_node_id(id) ? ParseError::Ok : ParseError::BadNodeId;
}

namespace {

void write_family(ByteWriter& writer, const config::IpAddress& address) {
    writer.u8(address.is_v4() ? kFamilyIPv4 : kFamilyIPv6);
}

// The address bytes that follow a family code already read.
ParseError read_address_bytes(ByteReader& reader, std::uint8_t family, config::IpAddress& address) {
    if (family == kFamilyIPv4) {
        const auto bytes = reader.bytes(4);
        if (!bytes) return ParseError::Truncated;
        std::array<std::uint8_t, 4> raw{};
        std::copy(bytes->begin(), bytes->end(), raw.begin());
        address = config::IpAddress::from_v4(raw);
        return ParseError::Ok;
    }
    if (family == kFamilyIPv6) {
        const auto bytes = reader.bytes(16);
        if (!bytes) return ParseError::Truncated;
        std::array<std::uint8_t, 16> raw{};
        std::copy(bytes->begin(), bytes->end(), raw.begin());
        address = config::IpAddress::from_v6(raw);
        return ParseError::Ok;
    }
    return ParseError::BadAddressFamily;
}

}  // namespace

void write_address(ByteWriter& writer, const config::IpAddress& address) {
    write_family(writer, address);
    writer.bytes(address.bytes());
}

ParseError read_address(ByteReader& reader, config::IpAddress& address) {
    const auto family = reader.u8();
    if (!family) return ParseError::Truncated;
    return read_address_bytes(reader, *family, address);
}

void write_prefix(ByteWriter& writer, const config::Prefix& prefix) {
    if (prefix.has_host_bits()) throw std::invalid_argument("IDP prefix with host bits set");
    write_family(writer, prefix.address());
    writer.u8(static_cast<std::uint8_t>(prefix.length()));
    writer.bytes(prefix.address().bytes());
}

ParseError read_prefix(ByteReader& reader, config::Prefix& prefix) {
    const auto family = reader.u8();
    const auto length = reader.u8();
    if (!length) return ParseError::Truncated;
    config::IpAddress address;
    if (const auto error = read_address_bytes(reader, *family, address); error != ParseError::Ok) {
        return error;
    }
    const auto made = config::Prefix::make(address, *length);
    if (!made || made->has_host_bits()) return ParseError::BadPrefix;
    prefix = *made;
    return ParseError::Ok;
}

void append_signature(std::vector<std::uint8_t>& message, const MessageAuthenticator& signer,
                      std::string_view what) {
    const auto signature = signer.sign(message);
    if (signature.empty() || signature.size() > signer.max_signature_size()) {
        throw std::logic_error(std::string(what) + ": signature size outside the signer's bounds");
    }
    ByteWriter writer(message);
    writer.u16(static_cast<std::uint16_t>(signature.size()));
    writer.bytes(signature);
}

}  // namespace mcsec::control::idp
