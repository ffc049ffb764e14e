// The sliding anti-replay window over message numbers.
#include "mcsec/control/mike/protocol/replay_window.hpp"

namespace mcsec::control::mike {

bool ReplayWindow::check(std::uint64_t session, std::uint64_t number) const noexcept {
    if (number == 0) return false;
    // A different session is checked by the caller against discovery's view; any number is new.
    if (session != session_ || highest_ == 0) return true;
    if (number > highest_) return true;
    const std::uint64_t age = highest_ - number;
    if (age >= kWindow) return false;
    return ((seen_ >> age) & 1u) == 0;
}

void ReplayWindow::accept(std::uint64_t session, std::uint64_t number) noexcept {
    if (session != session_) {
        session_ = session;
        highest_ = 0;
        seen_ = 0;
    }
    if (number > highest_) {
        const std::uint64_t shift = number - highest_;
        seen_ = shift >= kWindow ? 0 : seen_ << shift;
        seen_ |= 1u;
        highest_ = number;
        return;
    }
    const std::uint64_t age = highest_ - number;
    if (age < kWindow) seen_ |= std::uint64_t{1} << age;
}

}  // namespace mcsec::control::mike
