// ICMPv6 Packet Too Big (RFC 4443 section 3.2) for the mtu_policy "icmp": a red IPv6 packet that
// would not fit the black MTU once encrypted is dropped and its source told the largest size
// that fits. RFC 4443 2.4 (e.3) allows this error for a multicast destination, so path MTU
// discovery works for multicast senders. IPv4 has no such exception: RFC 1122 3.2.2 forbids
// ICMP errors about multicast datagrams, so oversize IPv4 multicast is only dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "mcsec/esp/ip_header.hpp"

namespace mcsec::dataplane {

// The minimum IPv6 MTU, and so the most an ICMPv6 error may occupy (RFC 4443 2.4 c).
inline constexpr uint32_t kIpv6MinimumMtu = 1280;

// Writes an IPv6 packet from `source` to the original's source carrying the PTB with `mtu` and
// as much of `original` as fits in 1280 bytes. Returns its length, or 0 if `original` is not
// an IPv6 packet or `out` is smaller than the message.
size_t build_packet_too_big(std::span<const uint8_t> original, const esp::IpAddress& source,
                            uint32_t mtu, std::span<uint8_t> out);

// A token bucket that keeps ICMPv6 errors to a rate (RFC 4443 2.4 f): one per lcore.
class ErrorRateLimit {
  public:
    ErrorRateLimit(uint32_t per_second, uint32_t burst) : rate_(per_second), burst_(burst) {}
    // True if a message may be sent at `now_ns` (monotonic nanoseconds).
    bool allow(uint64_t now_ns);

  private:
    uint32_t rate_;
    uint32_t burst_;
    uint64_t tokens_scaled_ = 0;  // tokens * 1e9, refilled from elapsed nanoseconds
    uint64_t last_ns_ = 0;
    bool started_ = false;
};

}  // namespace mcsec::dataplane
