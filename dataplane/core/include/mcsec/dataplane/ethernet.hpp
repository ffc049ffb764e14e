// Ethernet framing around the IP packets the ESP core works on.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "mcsec/esp/ip_header.hpp"

namespace mcsec::dataplane {

inline constexpr uint32_t kEthernetHeaderLen = 14;
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
using MacAddress = std::array<uint8_t, 6>;

// RFC 1112 / RFC 2464 multicast MAC of an IP group: 01:00:5e + low 23 bits, or 33:33 + low 32.
inline MacAddress multicast_mac(const esp::IpAddress& group) {
    const uint8_t* b = group.bytes.data();
    if (group.is_v4()) return {0x01, 0x00, 0x5e, static_cast<uint8_t>(b[13] & 0x7f), b[14], b[15]};
    return {0x33, 0x33, b[12], b[13], b[14], b[15]};
}

inline void write_ethernet(uint8_t* frame, const MacAddress& destination, const MacAddress& source,
                           esp::IpFamily family) {
    std::memcpy(frame, destination.data(), 6);
    std::memcpy(frame + 6, source.data(), 6);
    const uint16_t type = family == esp::IpFamily::V4 ? kEtherTypeIpv4 : kEtherTypeIpv6;
    frame[12] = static_cast<uint8_t>(type >> 8);
    frame[13] = static_cast<uint8_t>(type);
}

// The IP payload of a frame, or 0 if it is not untagged IPv4/IPv6.
inline uint32_t ip_offset(const uint8_t* frame, uint32_t length) {
    if (length < kEthernetHeaderLen) return 0;
    const uint16_t type = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
    return (type == kEtherTypeIpv4 || type == kEtherTypeIpv6) ? kEthernetHeaderLen : 0;
}

// Forwarding an inner packet to red: TTL / hop limit minus one (RFC 1812), with the IPv4
// checksum updated incrementally (RFC 1624). False if it reached zero (drop it).
inline bool decrement_ttl(uint8_t* ip) {
    if ((ip[0] >> 4) == 4) {
        if (ip[8] <= 1) return false;
        --ip[8];
        uint32_t sum = static_cast<uint32_t>(ip[10] << 8 | ip[11]) + 0x0100;  // ~(-1<<8)
        sum = (sum & 0xffff) + (sum >> 16);
        ip[10] = static_cast<uint8_t>(sum >> 8);
        ip[11] = static_cast<uint8_t>(sum);
        return true;
    }
    if (ip[7] <= 1) return false;
    --ip[7];
    return true;
}

}  // namespace mcsec::dataplane
