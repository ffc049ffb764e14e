// The field encodings the control-plane messages share (docs/protocol/idp.md, "Field
// encodings"), so a node id or an address reads and writes the same way in every protocol.
#pragma once

#include <cstdint>
#include <string_view>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/wire/byte_io.hpp"

namespace mcsec::control::wire {

enum class FieldError : std::uint8_t {
    Ok,
    Truncated,         // the input ends inside the field
    BadNodeId,         // not 1..32 of [A-Za-z0-9_-] (or empty where that is not allowed)
    BadAddressFamily,  // family code other than 4 or 6
};

// A field error in a protocol's parse-error table with the same enumerator names.
template <typename ParseError>
constexpr ParseError to_parse_error(FieldError error) noexcept {
    switch (error) {
        case FieldError::Ok:
            return ParseError::Ok;
        case FieldError::Truncated:
            return ParseError::Truncated;
        case FieldError::BadNodeId:
            return ParseError::BadNodeId;
        case FieldError::BadAddressFamily:
            return ParseError::BadAddressFamily;
    }
    return ParseError::Truncated;
}

// Address family codes on the wire.
inline constexpr std::uint8_t kFamilyIPv4 = 4;
inline constexpr std::uint8_t kFamilyIPv6 = 6;

// u8 length (1..32) + characters. With `allow_empty`, length 0 reads as "no node" (MIKE's
// optional sponsor and successor). The writer throws std::invalid_argument on an invalid id.
void write_node_id(ByteWriter& writer, std::string_view id, bool allow_empty = false);
FieldError read_node_id(ByteReader& reader, NodeId& id, bool allow_empty = false);

// u8 family (4 or 6) + 4 or 16 address bytes.
void write_family(ByteWriter& writer, const config::IpAddress& address);
void write_address(ByteWriter& writer, const config::IpAddress& address);
FieldError read_address(ByteReader& reader, config::IpAddress& address);
// The address bytes that follow a family code already read (a prefix has its length between).
FieldError read_address_bytes(ByteReader& reader, std::uint8_t family, config::IpAddress& address);

}  // namespace mcsec::control::wire
