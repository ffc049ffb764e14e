// What discovery tells keying (MIKE): the membership changes it has decided on.
#pragma once

#include <cstdint>
#include <string_view>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"

namespace mcsec::control::idp {

enum class IdpEventKind : std::uint8_t {
    // A peer seen for the first time, or one that restarted (a greater startup timestamp): its
    // keying state is gone, so it joins afresh.
    Join,
    // A peer unheard for 4 hello intervals. Only the transaction manager acts on it.
    Leave,
    // A peer that was down comes back with the same startup timestamp: its connection failed for
    // a while but it kept its state; it rejoins because the group key may have moved on.
    Restore,
};

std::string_view to_string(IdpEventKind kind) noexcept;

struct IdpEvent {
    IdpEventKind kind = IdpEventKind::Join;
    NodeId node_id;
    config::IpAddress black_address;
    std::uint64_t startup_timestamp = 0;

    friend bool operator==(const IdpEvent&, const IdpEvent&) = default;
};

}  // namespace mcsec::control::idp
