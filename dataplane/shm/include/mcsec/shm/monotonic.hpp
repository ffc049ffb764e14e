// The clock of SA lifetimes: CLOCK_MONOTONIC seconds, shared by every process on the box (the
// shared-memory region does not outlive a reboot, and neither does this clock's epoch).
#pragma once

#include <time.h>

#include <cstdint>

namespace mcsec::shm {

inline uint64_t monotonic_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<uint64_t>(ts.tv_sec);
}

}  // namespace mcsec::shm
