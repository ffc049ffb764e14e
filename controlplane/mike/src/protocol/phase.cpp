// The phase names and the transition table (docs/protocol/mike.md, "Phases").
#include "mcsec/control/mike/protocol/phase.hpp"

#include <array>
#include <initializer_list>

namespace mcsec::control::mike {

std::string_view to_string(MikePhase phase) noexcept {
    switch (phase) {
#define MCSEC_MIKE_PHASE_TEXT(name, text, help) \
    case MikePhase::name:                       \
        return text;
        MCSEC_MIKE_PHASES(MCSEC_MIKE_PHASE_TEXT)
#undef MCSEC_MIKE_PHASE_TEXT
    }
    return "unknown";
}

namespace {

using enum MikePhase;

constexpr std::uint32_t set_of(std::initializer_list<MikePhase> phases) {
    std::uint32_t bits = 0;
    for (const MikePhase phase : phases) bits |= std::uint32_t{1} << static_cast<unsigned>(phase);
    return bits;
}

// A node that is not the TM: it follows one (or none, Electing).
constexpr std::uint32_t kFollowing = set_of({Electing, Joining, Sponsoring, AwaitingKey, Keyed});
constexpr std::uint32_t kTm = set_of({Founding, TmAwaitingSponsor, TmAwaitingAcks, TmStable});
constexpr std::uint32_t kInTree = set_of({Sponsoring, AwaitingKey, Keyed});

constexpr std::array kTransitions{
    PhaseTransition{kFollowing & ~set_of({Electing}), Electing,
                    "no live sender left to follow (this node is receive-only)"},
    PhaseTransition{(kFollowing & ~set_of({Joining})) | kTm, Joining,
                    "follows a TM whose tree lacks its current leaf: a new TM (election, "
                    "HANDOVER, a smaller id preempting this TM), removal, a failed derivation"},
    PhaseTransition{set_of({Electing, Joining}) | (kInTree & ~set_of({Sponsoring})), Sponsoring,
                    "the TM's incomplete state names this node sponsor: PATH_UPDATE sent"},
    PhaseTransition{set_of({Electing, Joining}) | (kInTree & ~set_of({AwaitingKey})), AwaitingKey,
                    "the TM's incomplete state holds this node's leaf, another member sponsors"},
    PhaseTransition{set_of({Electing, Joining}) | (kInTree & ~set_of({Keyed})), Keyed,
                    "a complete state holds this node's leaf: key derived, ACK due"},
    PhaseTransition{kFollowing, Founding,
                    "elected: the smallest live sender (at start, or its TM went down or retired)"},
    PhaseTransition{kTm & ~set_of({TmAwaitingSponsor}), TmAwaitingSponsor,
                    "a tree operation another member sponsors: incomplete state published"},
    PhaseTransition{kTm & ~set_of({TmAwaitingAcks}), TmAwaitingAcks,
                    "a complete tree published, not every member has ACKed it"},
    PhaseTransition{kTm & ~set_of({TmStable}), TmStable,
                    "every member ACKed the complete tree (at once in a group of one)"},
    PhaseTransition{kFollowing | kTm, Retired, "shutdown(): HANDOVER sent, silent from now on"},
};

}  // namespace

std::span<const PhaseTransition> phase_transitions() noexcept {
    return kTransitions;
}

const PhaseTransition* find_transition(MikePhase from, MikePhase to) noexcept {
    const std::uint32_t bit = std::uint32_t{1} << static_cast<unsigned>(from);
    for (const PhaseTransition& row : kTransitions) {
        if (row.to == to && (row.from & bit) != 0) return &row;
    }
    return nullptr;
}

}  // namespace mcsec::control::mike
