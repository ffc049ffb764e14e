#include "mcsec/control/idp/wire_format.hpp"

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

ParseError from_wire(wire::FrameError error) noexcept {
    return wire::to_parse_error(error, ParseError::WrongType);
}

ParseError from_wire(wire::FieldError error) noexcept {
    return wire::to_parse_error<ParseError>(error);
}

ParseError peek_header(std::span<const std::uint8_t> bytes, MessageHeader& header) noexcept {
    wire::FrameHeader frame;
    if (const auto error = wire::peek_header(bytes, kFrameFormat, frame);
        error != wire::FrameError::Ok) {
        return from_wire(error);
    }
    header.type = static_cast<MessageType>(frame.type);
    header.length = frame.length;
    return ParseError::Ok;
}

}  // namespace mcsec::control::idp
