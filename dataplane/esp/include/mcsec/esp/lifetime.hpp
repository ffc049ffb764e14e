// SA lifetimes (RFC 4301 section 4.4.2.1): soft limits ask for a rekey, hard limits make the SA
// unusable. Each of time, bytes and packets can be limited; 0 means no limit.
#pragma once

#include <cstdint>

namespace mcsec::esp {

struct LifetimeLimits {
    uint64_t soft_seconds = 0;
    uint64_t hard_seconds = 0;
    uint64_t soft_bytes = 0;
    uint64_t hard_bytes = 0;
    uint64_t soft_packets = 0;
    uint64_t hard_packets = 0;
};

enum class LifetimeStatus : uint8_t { Ok, Soft, Hard };

// What an SA has used so far. Bytes are inner (plaintext) packet bytes.
struct LifetimeUsage {
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

inline bool has_limits(const LifetimeLimits& l) {
    return (l.soft_seconds | l.hard_seconds | l.soft_bytes | l.hard_bytes | l.soft_packets |
            l.hard_packets) != 0;
}

inline bool limit_reached(uint64_t limit, uint64_t used) {
    return limit != 0 && used >= limit;
}

// The soft limit in force: the configured one, or, where only a hard limit is set, 90% of it,
// so that a rekey is always asked for before the SA stops carrying traffic.
inline uint64_t effective_soft(uint64_t soft, uint64_t hard) {
    return soft != 0 ? soft : hard - hard / 10;
}

inline LifetimeStatus evaluate_lifetime(const LifetimeLimits& limits, const LifetimeUsage& usage,
                                        uint64_t age_seconds) {
    if (limit_reached(limits.hard_packets, usage.packets) ||
        limit_reached(limits.hard_bytes, usage.bytes) ||
        limit_reached(limits.hard_seconds, age_seconds)) {
        return LifetimeStatus::Hard;
    }
    if (limit_reached(effective_soft(limits.soft_packets, limits.hard_packets), usage.packets) ||
        limit_reached(effective_soft(limits.soft_bytes, limits.hard_bytes), usage.bytes) ||
        limit_reached(effective_soft(limits.soft_seconds, limits.hard_seconds), age_seconds)) {
        return LifetimeStatus::Soft;
    }
    return LifetimeStatus::Ok;
}

}  // namespace mcsec::esp
