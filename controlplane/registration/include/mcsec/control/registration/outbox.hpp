// What a call into the registration state machines asks the daemon to do: datagrams to send
// (addressed by node id; the daemon knows each node's black address from discovery), events for
// keying and the logs, and alarms raised during the call (also kept in the AlarmLog for the API).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/registration/alarm_log.hpp"

namespace mcsec::control::registration {

struct Outgoing {
    NodeId to;
    std::vector<std::uint8_t> datagram;
};

enum class EventKind : std::uint8_t {
    // Member side (RegistrationClient).
    Registered,          // the TM acknowledged a first REGISTER (or one to a new TM)
    Refreshed,           // the TM acknowledged a REFRESH
    RegistrationFailed,  // no ACK after the last retransmission; retried later
    Lapsed,              // the registration's lifetime ended without a renewal
    Left,                // the TM acknowledged the DELETE (or none was asked for)
    LeaveUnconfirmed,    // no ACK to the DELETE after the last retransmission
    // TM side (Registry).
    MemberJoined,         // a member registered that was not registered
    MemberRefreshed,      // a registered member renewed
    MemberLeft,           // a member sent DELETE
    MemberExpired,        // a member's registration ran out without a refresh
    SpiConflictReported,  // a member reported that this group's SPI collides: rekey onto a new one
    RekeyOverdue,         // the group's epoch outlived its SA lifetime (SA_EXPIRED): rekey now
};

std::string_view to_string(EventKind kind) noexcept;

struct Event {
    EventKind kind = EventKind::Registered;
    config::IpAddress group;
    // The other node: the TM on the member side, the member on the TM side (empty for
    // RekeyOverdue).
    NodeId peer;
    // Registered / Refreshed: what the TM granted.
    std::uint32_t lifetime_s = 0;
    std::uint64_t epoch = 0;
    std::uint32_t spi = 0;

    friend bool operator==(const Event&, const Event&) = default;
};

struct Outbox {
    std::vector<Outgoing> datagrams;
    std::vector<Event> events;
    std::vector<AlarmRecord> alarms;

    void clear() {
        datagrams.clear();
        events.clear();
        alarms.clear();
    }
};

}  // namespace mcsec::control::registration
