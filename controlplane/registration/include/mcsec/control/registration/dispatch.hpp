// Which half of the protocol a registration datagram is for, since one node is a member of some
// groups and the TM of others and both halves share the black socket.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "mcsec/control/registration/registry.hpp"

namespace mcsec::control::registration {

enum class Destination : std::uint8_t {
    Registry,  // REGISTER, DELETE, an ALARM about a group this node serves, and the unparsable
    Client,    // ACK, and an ALARM about any other group (from that group's TM)
};

std::string_view to_string(Destination destination) noexcept;

// REGISTER and DELETE go to the TM side and ACK to the member side by type; an ALARM goes to the
// TM side exactly when this node serves its group (members send alarms to TMs, TMs to members,
// and a node is never both for one group). A datagram that does not parse goes to the Registry,
// which counts it and raises MALFORMED_PACKET.
Destination destination_for(std::span<const std::uint8_t> datagram, const Registry& registry);

}  // namespace mcsec::control::registration
