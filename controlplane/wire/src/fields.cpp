#include "mcsec/control/wire/fields.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "mcsec/control/wire/node_id.hpp"

namespace mcsec::control::wire {

void write_node_id(ByteWriter& writer, std::string_view id, bool allow_empty) {
    if (!(allow_empty && id.empty()) && !is_valid_node_id(id)) {
        throw std::invalid_argument("invalid node id on the wire");
    }
    writer.u8(static_cast<std::uint8_t>(id.size()));
    writer.text(id);
}

FieldError read_node_id(ByteReader& reader, NodeId& id, bool allow_empty) {
    const auto length = reader.u8();
    if (!length) return FieldError::Truncated;
    const auto characters = reader.bytes(*length);
    if (!characters) return FieldError::Truncated;
    id.assign(characters->begin(), characters->end());
    if (allow_empty && id.empty()) return FieldError::Ok;
    return is_valid_node_id(id) ? FieldError::Ok : FieldError::BadNodeId;
}

void write_family(ByteWriter& writer, const config::IpAddress& address) {
    writer.u8(address.is_v4() ? kFamilyIPv4 : kFamilyIPv6);
}

void write_address(ByteWriter& writer, const config::IpAddress& address) {
    write_family(writer, address);
    writer.bytes(address.bytes());
}

FieldError read_address_bytes(ByteReader& reader, std::uint8_t family, config::IpAddress& address) {
    if (family == kFamilyIPv4) {
        const auto bytes = reader.bytes(4);
        if (!bytes) return FieldError::Truncated;
        std::array<std::uint8_t, 4> raw{};
        std::copy(bytes->begin(), bytes->end(), raw.begin());
        address = config::IpAddress::from_v4(raw);
        return FieldError::Ok;
    }
    if (family == kFamilyIPv6) {
        const auto bytes = reader.bytes(16);
        if (!bytes) return FieldError::Truncated;
        std::array<std::uint8_t, 16> raw{};
        std::copy(bytes->begin(), bytes->end(), raw.begin());
        address = config::IpAddress::from_v6(raw);
        return FieldError::Ok;
    }
    return FieldError::BadAddressFamily;
}

FieldError read_address(ByteReader& reader, config::IpAddress& address) {
    const auto family = reader.u8();
    if (!family) return FieldError::Truncated;
    return read_address_bytes(reader, *family, address);
}

}  // namespace mcsec::control::wire
