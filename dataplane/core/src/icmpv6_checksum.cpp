#include "mcsec/dataplane/icmpv6_checksum.hpp"

namespace mcsec::dataplane {

namespace {
constexpr uint32_t kIcmpv6 = 58;
}

uint16_t icmpv6_checksum(const uint8_t* ipv6, const uint8_t* icmp, uint32_t length) {
    uint64_t sum = 0;
    auto add = [&sum](const uint8_t* p, uint32_t n) {
        for (uint32_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
        if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
    };
    add(ipv6 + 8, 32);  // source and destination
    sum += length;
    sum += kIcmpv6;
    add(icmp, length);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

}  // namespace mcsec::dataplane
