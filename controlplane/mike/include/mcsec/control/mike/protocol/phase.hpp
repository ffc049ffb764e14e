// Where one node stands in one group's keying: the MIKE engine's phase and the table of the
// transitions between phases (docs/protocol/mike.md, "Phases"; the names are the same there).
// GroupKeying works out its phase after every input and checks each change against this table,
// so the table is a tested contract, not only a drawing: a change it does not list is counted
// (MikeCounters::unlisted_transitions) and the unit tests fail on any.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mcsec::control::mike {

// name, text for operators (mcsecctl show groups)
#define MCSEC_MIKE_PHASES(X)                                                                   \
    X(Electing, "electing", "no live sender to follow (a receive-only member alone)")          \
    X(Joining, "joining", "follows a TM whose tree lacks this node's current leaf")            \
    X(Sponsoring, "sponsoring", "named sponsor of the TM's incomplete tree: PATH_UPDATE sent") \
    X(AwaitingKey, "awaiting_key", "in the TM's incomplete tree, another member sponsors")     \
    X(Keyed, "keyed", "in the TM's complete tree: holds its key")                              \
    X(Founding, "founding", "elected TM, waiting found_delay for a HANDOVER before founding")  \
    X(TmAwaitingSponsor, "tm_awaiting_sponsor", "TM: an operation waits for a PATH_UPDATE")    \
    X(TmAwaitingAcks, "tm_awaiting_acks", "TM: complete tree published, ACKs outstanding")     \
    X(TmStable, "tm_stable", "TM: complete tree ACKed by every member")                        \
    X(Retired, "retired", "shut down: sends nothing more")

enum class MikePhase : std::uint8_t {
#define MCSEC_MIKE_PHASE_ENUMERATOR(name, text, help) name,
    MCSEC_MIKE_PHASES(MCSEC_MIKE_PHASE_ENUMERATOR)
#undef MCSEC_MIKE_PHASE_ENUMERATOR
};

inline constexpr std::size_t kMikePhaseCount = 0
#define MCSEC_MIKE_PHASE_COUNT(name, text, help) +1
    MCSEC_MIKE_PHASES(MCSEC_MIKE_PHASE_COUNT)
#undef MCSEC_MIKE_PHASE_COUNT
    ;

std::string_view to_string(MikePhase phase) noexcept;

// One row of the transition table: from any phase in `from` to `to`, on `cause`.
struct PhaseTransition {
    std::uint32_t from;  // bit i: MikePhase i
    MikePhase to;
    std::string_view cause;
};

// The rows, in the order docs/protocol/mike.md lists them.
std::span<const PhaseTransition> phase_transitions() noexcept;
// The row that allows from -> to, or nullptr (from == to is no transition and always allowed).
const PhaseTransition* find_transition(MikePhase from, MikePhase to) noexcept;

}  // namespace mcsec::control::mike
