#include "mcsec/control/registration/dispatch.hpp"

#include "mcsec/control/registration/messages.hpp"

namespace mcsec::control::registration {

std::string_view to_string(Destination destination) noexcept {
    switch (destination) {
        case Destination::Registry:
            return "registry";
        case Destination::Client:
            return "client";
    }
    return "unknown";
}

Destination destination_for(std::span<const std::uint8_t> datagram, const Registry& registry) {
    ParsedMessage parsed;
    if (parse(datagram, parsed) != ParseError::Ok) return Destination::Registry;
    switch (parsed.message.type()) {
        case MessageType::Register:
        case MessageType::Delete:
            return Destination::Registry;
        case MessageType::Ack:
            return Destination::Client;
        case MessageType::Alarm:
            break;
    }
    return registry.serves(parsed.message.group) ? Destination::Registry : Destination::Client;
}

}  // namespace mcsec::control::registration
