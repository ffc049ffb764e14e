// What a datagram on the black socket says it is, read without any cryptography: which protocol
// (by its magic), the node it claims to come from, and for a hello the black address it claims.
// Nothing here is authenticated; the admission stage only uses it to refuse datagrams whose
// claims contradict what is known before anyone spends a signature verification on them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"

namespace mcsec::control {

enum class DatagramProtocol : std::uint8_t {
    Unknown,          // no magic we know: counted by the daemon, never verified
    IdpHello,         // "ID", type HELLO
    IdpOther,         // "ID", another type (prefix messages travel over TLS, not here)
    Mike,             // "MK"
    Registration,     // "RG"
    LkhPush,          // "LK": REKEY and STATE from a group's designated sender
    LkhRegistration,  // "LR": REGISTER from a receiver, WELCOME from a sender
};

struct DatagramClaims {
    DatagramProtocol protocol = DatagramProtocol::Unknown;
    // False when the bytes are too broken to name a sender: the protocol's own parser refuses
    // them (and alarms) before any signature work.
    bool parsed = false;
    NodeId sender;
    // A hello's black address field.
    std::optional<config::IpAddress> black_address;
};

DatagramClaims classify_datagram(std::span<const std::uint8_t> datagram);

}  // namespace mcsec::control
