// A token bucket on a caller's clock: `rate` tokens per second up to `burst`; a take that finds
// too few tokens fails and takes nothing. Used by the datagram admission stage for per-source
// limits and the global signature-work budget.
#pragma once

#include <algorithm>
#include <chrono>

namespace mcsec::control {

class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;

    TokenBucket() = default;
    TokenBucket(double rate_per_second, double burst, Clock::time_point now)
        : rate_(rate_per_second), burst_(burst), tokens_(burst), updated_(now) {}

    bool take(double tokens, Clock::time_point now) {
        refill(now);
        if (tokens_ < tokens) return false;
        tokens_ -= tokens;
        return true;
    }
    // Full again: such a bucket is the same as a new one, so it may be forgotten.
    bool full(Clock::time_point now) {
        refill(now);
        return tokens_ >= burst_;
    }

  private:
    void refill(Clock::time_point now) {
        if (now <= updated_) return;  // a clock that steps back grants nothing
        const double elapsed = std::chrono::duration<double>(now - updated_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        updated_ = now;
    }

    double rate_ = 0;
    double burst_ = 0;
    double tokens_ = 0;
    Clock::time_point updated_{};
};

}  // namespace mcsec::control
