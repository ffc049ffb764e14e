// The clock the IDP state machines run on. They never read a clock themselves: the daemon passes
// `now` into every call, so the unit tests drive them on a simulated timeline without sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace mcsec::control::idp {

// Monotonic time for every timer (hello schedule, dead detection, prefix re-announcements): a
// wall-clock step must neither declare every peer dead nor keep a dead one alive.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;

// Wall-clock time, only for checking certificate validity periods.
using WallTime = std::chrono::system_clock::time_point;

// A peer unheard for this many hello intervals is down; the same span of quiet ends a prefix
// exchange. Four intervals keep lost hellos from becoming key updates (seed 000, "flipping
// connections"): two lost in a row are always harmless, a third puts the next on the deadline.
inline constexpr int kDeadIntervalMultiple = 4;

constexpr Duration dead_interval(Duration hello_interval) noexcept {
    return hello_interval * kDeadIntervalMultiple;
}

}  // namespace mcsec::control::idp
