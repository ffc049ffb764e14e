// Replay protection per sender: a sliding window over message numbers within one run (session)
// of the sender, as ESP's anti-replay window. A window rather than "strictly greater than the
// last" because retransmissions are identical copies: a lost original's copy, arriving after the
// sender's newer messages, must still be accepted once.
#pragma once

#include <cstdint>

namespace mcsec::control::mike {

class ReplayWindow {
  public:
    static constexpr std::uint64_t kWindow = 64;

    // True if (session, number) was never accepted and is not older than the window; no change.
    // The caller checks the signature between check() and accept().
    bool check(std::uint64_t session, std::uint64_t number) const noexcept;
    // Records an authentic message. A new session (a restarted sender) starts a fresh window.
    void accept(std::uint64_t session, std::uint64_t number) noexcept;

  private:
    std::uint64_t session_ = 0;
    std::uint64_t highest_ = 0;  // 0: nothing accepted in this session
    std::uint64_t seen_ = 0;     // bit i: highest_ - i was accepted
};

}  // namespace mcsec::control::mike
