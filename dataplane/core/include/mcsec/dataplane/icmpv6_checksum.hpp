// The ICMPv6 checksum (RFC 4443 2.3): over the IPv6 pseudo-header and the ICMPv6 message. Shared
// by the messages the dataplane originates (packet-too-big, MLD queries).
#pragma once

#include <cstdint>

namespace mcsec::dataplane {

// `ipv6` is the packet's fixed header (addresses at 8 and 24); `icmp` the ICMPv6 message of
// `length` bytes, its checksum field zero.
uint16_t icmpv6_checksum(const uint8_t* ipv6, const uint8_t* icmp, uint32_t length);

}  // namespace mcsec::dataplane
