// The one table of what becomes of a received registration datagram, on either side: each
// verdict, its counter name, its text for operators, and the alarm it raises. Adding a reason is
// one row.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mcsec/control/auth_verdicts.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/registration/messages.hpp"
#include "mcsec/control/registration/wire_format.hpp"

namespace mcsec::control::registration {

// A replay raises no alarm: it is refused before its signature is checked, so its sender is
// unknown, and retransmission races produce harmless ones. A stale ACK is the normal fate of the
// ACK to a copy that was retransmitted while the first ACK was on its way.
#define MCSEC_REGISTRATION_VERDICTS(X)                                                           \
    X(Accepted, "accepted", "accepted", None)                                                    \
    X(Duplicate, "duplicate", "identical copy of a request already answered", None)              \
    X(Malformed, "malformed", "does not parse (see the parse error counters)", MalformedPacket)  \
    X(OwnNodeId, "own_node_id", "claims this node's own id", None)                               \
    X(Replay, "replay", "timestamp not newer than the last accepted from this sender", None)     \
    MCSEC_AUTH_VERDICTS(X)                                                                       \
    X(UnexpectedType, "unexpected_type", "message type this side does not handle", None)         \
    X(NotServing, "not_serving", "request for a group this node is not the TM of", None)         \
    X(NotMember, "not_member", "sender not admitted to the group by its access list", None)      \
    X(NotRegistered, "not_registered", "alarm from a node not registered in the group", None)    \
    X(TmConflict, "tm_conflict", "request addressed to another TM of a group this node serves",  \
      ServerConflict)                                                                            \
    X(UnknownGroup, "unknown_group", "message about a group this node has not joined", None)     \
    X(NotFromTm, "not_from_tm", "sender is not the group's current TM", None)                    \
    X(StaleAck, "stale_ack", "reflected timestamp matches no outstanding request", None)         \
    X(Inconsistent, "inconsistent", "signed ACK that contradicts the request it answers",        \
      MalformedPacket)                                                                           \
    X(TableFull, "table_full", "new sender while the replay table is full", None)

enum class Verdict : std::uint8_t {
#define MCSEC_REGISTRATION_ENUMERATOR(name, counter, text, alarm) name,
    MCSEC_REGISTRATION_VERDICTS(MCSEC_REGISTRATION_ENUMERATOR)
#undef MCSEC_REGISTRATION_ENUMERATOR
};

inline constexpr std::size_t kVerdictCount = 0
#define MCSEC_REGISTRATION_COUNT(name, counter, text, alarm) +1
    MCSEC_REGISTRATION_VERDICTS(MCSEC_REGISTRATION_COUNT)
#undef MCSEC_REGISTRATION_COUNT
    ;

// Operator-facing text.
std::string_view to_string(Verdict verdict) noexcept;
// snake_case name for counters and JSON ("registration_" + this).
std::string_view counter_name(Verdict verdict) noexcept;
// The alarm a datagram with this verdict raises locally, if any.
std::optional<AlarmKind> alarm_for(Verdict verdict) noexcept;
// The verdict for a failed signature check.
Verdict verdict_for(AuthResult result) noexcept;

struct Counters {
    std::array<std::uint64_t, kVerdictCount> verdicts{};
    // Details of Verdict::Malformed.
    std::array<std::uint64_t, kParseErrorCount> parse_errors{};

    std::uint64_t count(Verdict verdict) const noexcept {
        return verdicts[static_cast<std::size_t>(verdict)];
    }
    std::uint64_t count(ParseError error) const noexcept {
        return parse_errors[static_cast<std::size_t>(error)];
    }
    void add(Verdict verdict) noexcept { ++verdicts[static_cast<std::size_t>(verdict)]; }
    void add(ParseError error) noexcept { ++parse_errors[static_cast<std::size_t>(error)]; }
};

}  // namespace mcsec::control::registration
