// The IDP side of the shared field encodings (docs/protocol/idp.md, "Field encodings"): node ids
// and addresses read through wire/fields.hpp with IDP's parse errors, the red prefixes only IDP
// carries, and the unsigned prefix messages' framing.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/wire_format.hpp"
#include "mcsec/control/wire/byte_io.hpp"

namespace mcsec::control::idp {

using wire::ByteReader;
using wire::ByteWriter;

// Writes the common header with a zero length; finish_header() fills it in (and checks the
// 1400-byte limit, leaving `reserve` bytes for a signature trailer).
void begin_message(ByteWriter& writer, MessageType type);
void finish_header(ByteWriter& writer, std::size_t start, std::size_t reserve = 0);

// The body of an unsigned message of `type` that must span all of `bytes` (size, header, type,
// exact length); on Ok, `body` views the bytes after the header.
ParseError open_unsigned_message(std::span<const std::uint8_t> bytes, MessageType type,
                                 std::span<const std::uint8_t>& body) noexcept;

// wire::read_node_id and wire::read_address with IDP's errors.
ParseError read_node_id(ByteReader& reader, NodeId& id);
ParseError read_address(ByteReader& reader, config::IpAddress& address);

// u8 family + u8 prefix length + 4 or 16 address bytes. A prefix with host bits set, or longer
// than its family allows, is BadPrefix.
void write_prefix(ByteWriter& writer, const config::Prefix& prefix);
ParseError read_prefix(ByteReader& reader, config::Prefix& prefix);

}  // namespace mcsec::control::idp
