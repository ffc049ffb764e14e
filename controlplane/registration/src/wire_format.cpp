#include "mcsec/control/registration/wire_format.hpp"

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

ParseError from_wire(wire::FrameError error) noexcept {
    return wire::to_parse_error(error, ParseError::UnknownType);
}

ParseError peek_header(std::span<const std::uint8_t> datagram, MessageHeader& header) noexcept {
    wire::FrameHeader frame;
    if (const auto error = wire::peek_header(datagram, kFrameFormat, frame);
        error != wire::FrameError::Ok) {
        return from_wire(error);
    }
    header.type = static_cast<MessageType>(frame.type);
    header.length = frame.length;
    return ParseError::Ok;
}

}  // namespace mcsec::control::registration
