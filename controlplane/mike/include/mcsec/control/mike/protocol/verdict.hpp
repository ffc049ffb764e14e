// The one table of what becomes of a received MIKE datagram: each verdict, its counter name, its
// text for operators and the alarm the daemon raises for it, plus the counters GroupKeying keeps.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mcsec/control/auth_verdicts.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"

namespace mcsec::control::mike {

// The alarms of DESIGN.md's registration protocol that keying raises for received messages.
enum class MikeAlarm : std::uint8_t {
    None,             // counted only
    MalformedPacket,  // MALFORMED_PACKET
    SignFailed,       // SIGN_FAILED
    // An authentic message that breaks the group policy (a tree holding a node the access list
    // does not admit) or the protocol's acceptance rules (an epoch jump, a HANDOVER not from
    // the TM): a member's certificate is being misused, or the TM is compromised.
    AccessViolation,    // ACCESS_VIOLATION
    ProtocolViolation,  // PROTOCOL_VIOLATION
};

std::string_view to_string(MikeAlarm alarm) noexcept;

// Checks run in this order (docs/protocol/mike.md, "Checks on a received message"). Replays and
// stale epochs raise no alarm: multicast routers duplicate datagrams and retransmissions are
// identical copies by design, and refusing one changes nothing.
#define MCSEC_MIKE_VERDICTS(X)                                                                   \
    X(Accepted, "accepted", "accepted", None)                                                    \
    X(Malformed, "malformed", "does not parse (see the parse error counters)", MalformedPacket)  \
    X(OtherGroup, "other_group", "for another group", None)                                      \
    X(OwnMessage, "own_message", "claims this node as its sender", None)                         \
    X(UnknownSender, "unknown_sender",                                                           \
      "sender not up in discovery, or from another run than discovery reports", None)            \
    X(Replay, "replay", "message number already accepted or older than the window", None)        \
    MCSEC_AUTH_VERDICTS(X)                                                                       \
    X(StaleEpoch, "stale_epoch", "about an older epoch than the state held", None)               \
    X(NotFromTm, "not_from_tm", "TM-only message from a node that is not the elected TM", None)  \
    X(EpochJump, "epoch_jump", "epoch more than 2^32 above every epoch seen", ProtocolViolation) \
    X(HandoverNotFromTm, "handover_not_from_tm",                                                 \
      "HANDOVER of the TM role from a node that is not the TM", ProtocolViolation)               \
    X(OutsiderInTree, "outsider_in_tree",                                                        \
      "tree holds a node the group's access list does not admit", AccessViolation)               \
    X(MemberUnverified, "member_unverified",                                                     \
      "tree holds a node whose certificate is not known yet (taken when it is)", None)           \
    X(Ignored, "ignored", "authentic but nothing for this node's role to do", None)

enum class MikeVerdict : std::uint8_t {
#define MCSEC_MIKE_ENUMERATOR(name, counter, text, alarm) name,
    MCSEC_MIKE_VERDICTS(MCSEC_MIKE_ENUMERATOR)
#undef MCSEC_MIKE_ENUMERATOR
};

inline constexpr std::size_t kMikeVerdictCount = 0
#define MCSEC_MIKE_COUNT(name, counter, text, alarm) +1
    MCSEC_MIKE_VERDICTS(MCSEC_MIKE_COUNT)
#undef MCSEC_MIKE_COUNT
    ;

std::string_view to_string(MikeVerdict verdict) noexcept;
// snake_case name for counters and JSON ("mike_" + this).
std::string_view counter_name(MikeVerdict verdict) noexcept;
MikeAlarm alarm_for(MikeVerdict verdict) noexcept;

// What GroupKeying counts; the daemon shows it through its API.
struct MikeCounters {
    std::array<std::uint64_t, kMikeVerdictCount> received{};  // by verdict
    std::array<std::uint64_t, kMessageParseErrorCount> parse_errors{};
    std::uint64_t sent = 0;              // datagrams handed out by poll() and shutdown()
    std::uint64_t epochs_completed = 0;  // group keys handed out by take_new_key()
    std::uint64_t rekeys_started = 0;    // TM only: tree operations (joins, leaves, refreshes)
    std::uint64_t sponsor_timeouts = 0;  // TM only: sponsors removed for not answering in time
    std::uint64_t joins_refused = 0;     // TM only: the group already had kMaxGroupMembers
    std::uint64_t joins_denied = 0;      // TM only: requester not a member by the access list
    std::uint64_t key_failures = 0;      // complete states this member could not derive a key from
    std::uint64_t phase_changes = 0;     // GroupKeying::phase() changes
    // Phase changes phase.hpp's transition table does not list: an engine bug, never expected.
    std::uint64_t unlisted_transitions = 0;

    std::uint64_t count(MikeVerdict verdict) const noexcept {
        return received[static_cast<std::size_t>(verdict)];
    }
    std::uint64_t count(MessageParseError error) const noexcept {
        return parse_errors[static_cast<std::size_t>(error)];
    }
};

}  // namespace mcsec::control::mike
