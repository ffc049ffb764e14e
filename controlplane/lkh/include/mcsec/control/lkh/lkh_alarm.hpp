// The alarms LKH raises (the names of DESIGN.md's registration protocol, plus KEYS_BEHIND),
// for both the receiver's push checks and the registration exchange.
#pragma once

#include <cstdint>
#include <string_view>

namespace mcsec::control::lkh {

enum class LkhAlarm : std::uint8_t {
    None,               // counted only
    MalformedPacket,    // MALFORMED_PACKET
    SignFailed,         // SIGN_FAILED
    AccessViolation,    // ACCESS_VIOLATION: a registration from a node the access list refuses
    ProtocolViolation,  // PROTOCOL_VIOLATION: authentic, yet for another tree or unopenable
    KeysBehind,         // KEYS_BEHIND: missed rekeys; re-register when allowed to transmit
};

std::string_view to_string(LkhAlarm alarm) noexcept;

}  // namespace mcsec::control::lkh
