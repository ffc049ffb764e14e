// The one table of what becomes of a received hello: each verdict, its counter name, its text
// for operators, and the alarm the daemon raises for it. Adding a reason is one row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mcsec/control/auth_verdicts.hpp"
namespace mcsec::control::idp {

// The alarms of DESIGN.md's registration protocol that discovery can raise.
enum class IdpAlarm : std::uint8_t {
    None,             // counted only
    MalformedPacket,  // MALFORMED_PACKET
    SignFailed,       // SIGN_FAILED
};

std::string_view to_string(IdpAlarm alarm) noexcept;

// A replayed hello raises no alarm: multicast routers duplicate datagrams during tree changes,
// and a true replay changes nothing once refused. A hello naming this node is usually our own
// looped back (the socket should set IP_MULTICAST_LOOP off; a growing counter then points at a
// second appliance configured with our name).
#define MCSEC_IDP_HELLO_VERDICTS(X)                                                              \
    X(Accepted, "accepted", "accepted", None)                                                    \
    X(Malformed, "malformed", "does not parse (see the parse error counters)", MalformedPacket)  \
    X(OwnNodeId, "own_node_id", "claims this node's own id", None)                               \
    X(Replay, "replay", "startup timestamp and sequence not newer than the last accepted", None) \
    MCSEC_AUTH_VERDICTS(X)                                                                       \
    X(TableFull, "table_full", "new peer while the peer table is full", None)                    \
    X(GroupsChanged, "groups_changed",                                                           \
      "served groups differ from those its run announced first (a run's list is fixed)", None)

enum class HelloVerdict : std::uint8_t {
#define MCSEC_IDP_ENUMERATOR(name, counter, text, alarm) name,
    MCSEC_IDP_HELLO_VERDICTS(MCSEC_IDP_ENUMERATOR)
#undef MCSEC_IDP_ENUMERATOR
};

inline constexpr std::size_t kHelloVerdictCount = 0
#define MCSEC_IDP_COUNT(name, counter, text, alarm) +1
    MCSEC_IDP_HELLO_VERDICTS(MCSEC_IDP_COUNT)
#undef MCSEC_IDP_COUNT
    ;

// Operator-facing text.
std::string_view to_string(HelloVerdict verdict) noexcept;
// snake_case name for counters and JSON ("hello_" + this).
std::string_view counter_name(HelloVerdict verdict) noexcept;
IdpAlarm alarm_for(HelloVerdict verdict) noexcept;

}  // namespace mcsec::control::idp
