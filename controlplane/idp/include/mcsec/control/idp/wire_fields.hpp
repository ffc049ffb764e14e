// The field encodings the IDP messages share (docs/protocol/idp.md, "Field encodings"), so that a
// node id or an address reads and writes the same way in every message.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/byte_io.hpp"
#include "mcsec/control/idp/wire_format.hpp"

namespace mcsec::control::idp {

// Address family codes on the wire.
inline constexpr std::uint8_t kFamilyIPv4 = 4;
inline constexpr std::uint8_t kFamilyIPv6 = 6;

// Writes the common header with a zero length; finish_header() fills it in.
void begin_message(ByteWriter& writer, MessageType type);
// Sets the length field to everything written since begin_message() at `start`.
void finish_header(ByteWriter& writer, std::size_t start);

// The body of an unsigned message of `type` that must span all of `bytes` (size, header, type,
// exact length); on Ok, `body` views the bytes after the header.
ParseError open_unsigned_message(std::span<const std::uint8_t> bytes, MessageType type,
                                 std::span<const std::uint8_t>& body) noexcept;

// u8 length (1..32) + characters.
void write_node_id(ByteWriter& writer, std::string_view id);
ParseError read_node_id(ByteReader& reader, NodeId& id);

// u8 family (4 or 6) + 4 or 16 address bytes.
void write_address(ByteWriter& writer, const config::IpAddress& address);
ParseError read_address(ByteReader& reader, config::IpAddress& address);

// u8 family + u8 prefix length + 4 or 16 address bytes. A prefix with host bits set, or longer
// than its family allows, is BadPrefix.
void write_prefix(ByteWriter& writer, const config::Prefix& prefix);
ParseError read_prefix(ByteReader& reader, config::Prefix& prefix);

// Signs `message` (every byte so far) and appends the trailer: u16 signature length +
// signature. Shared by the signed messages of IDP and registration. Throws std::logic_error
// naming `what` if the signer returns a size outside its own bounds.
void append_signature(std::vector<std::uint8_t>& message, const MessageAuthenticator& signer,
                      std::string_view what);

}  // namespace mcsec::control::idp
