#include "mcsec/control/registration/wire_format.hpp"

#include "mcsec/control/idp/byte_io.hpp"

namespace mcsec::control::registration {

std::string_view to_string(ParseError error) noexcept {
    switch (error) {
#define MCSEC_REGISTRATION_CASE(name, text) \
    case ParseError::name:                  \
        return text;
        MCSEC_REGISTRATION_PARSE_ERRORS(MCSEC_REGISTRATION_CASE)
#undef MCSEC_REGISTRATION_CASE
    }
    return "unknown parse error";
}

std::string_view to_string(MessageType type) noexcept {
    switch (type) {
        case MessageType::Register:
            return "REGISTER";
        case MessageType::Delete:
            return "DELETE";
        case MessageType::Ack:
            return "ACK";
        case MessageType::Alarm:
            return "ALARM";
    }
    return "unknown";
}

bool has_registration_magic(std::span<const std::uint8_t> datagram) noexcept {
    return datagram.size() >= 2 && datagram[0] == kMagic0 && datagram[1] == kMagic1;
}

ParseError peek_header(std::span<const std::uint8_t> datagram, MessageHeader& header) noexcept {
    idp::ByteReader reader(datagram);
    const auto magic0 = reader.u8();
    const auto magic1 = reader.u8();
    const auto version = reader.u8();
    const auto type = reader.u8();
    const auto length = reader.u16();
    // The magic before the size: a short datagram of another protocol is "bad magic".
    if (magic0 && *magic0 != kMagic0) return ParseError::BadMagic;
    if (magic1 && *magic1 != kMagic1) return ParseError::BadMagic;
    if (!length) return ParseError::Truncated;
    if (*version != kWireVersion) return ParseError::UnsupportedVersion;
    if (*type < static_cast<std::uint8_t>(MessageType::Register) ||
        *type > static_cast<std::uint8_t>(MessageType::Alarm)) {
        return ParseError::UnknownType;
    }
    if (*length < kHeaderBytes || *length > kMaxMessageBytes) return ParseError::BadLength;
    header.type = static_cast<MessageType>(*type);
    header.length = *length;
    return ParseError::Ok;
}

}  // namespace mcsec::control::registration
