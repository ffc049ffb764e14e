#include "mcsec/control/idp/wire_format.hpp"

#include "mcsec/control/idp/byte_io.hpp"

namespace mcsec::control::idp {

std::string_view to_string(ParseError error) noexcept {
    switch (error) {
#define MCSEC_IDP_CASE(name, text) \
    case ParseError::name:         \
        return text;
        MCSEC_IDP_PARSE_ERRORS(MCSEC_IDP_CASE)
#undef MCSEC_IDP_CASE
    }
    return "unknown parse error";
}

ParseError peek_header(std::span<const std::uint8_t> bytes, MessageHeader& header) noexcept {
    ByteReader reader(bytes);
    const auto magic0 = reader.u8();
    const auto magic1 = reader.u8();
    const auto version = reader.u8();
    const auto type = reader.u8();
    const auto length = reader.u16();
    // Check the magic before the size: a short datagram of another protocol is "bad magic".
    if (magic0 && *magic0 != kMagic0) return ParseError::BadMagic;
    if (magic1 && *magic1 != kMagic1) return ParseError::BadMagic;
    if (!length) return ParseError::Truncated;
    if (*version != kWireVersion) return ParseError::UnsupportedVersion;
    if (*type < static_cast<std::uint8_t>(MessageType::Hello) ||
        *type > static_cast<std::uint8_t>(MessageType::PrefixAck)) {
        return ParseError::WrongType;
    }
    if (*length < kHeaderBytes || *length > kMaxMessageBytes) return ParseError::BadLength;
    header.type = static_cast<MessageType>(*type);
    header.length = *length;
    return ParseError::Ok;
}

}  // namespace mcsec::control::idp
