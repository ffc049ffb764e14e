// The outer (tunnel) IP header of an outbound SA. Everything that does not change per packet
// is precomputed once into a template when the SA is built, including the IPv4 checksum over
// the constant fields, so the fast path copies the template and patches length, ID and
// traffic class (RFC 1624 incremental checksum).
#pragma once

#include <cstdint>
#include <cstring>

#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/security_association.hpp"

namespace mcsec::esp {

// Fills sa.outer_template, sa.outer_header_length and sa.outer_checksum_seed.
void build_outer_template(OutboundSa& sa);

// RFC 6040 normal mode: the outer header copies the inner ECN field; RFC 4301 copies the DSCP
// unless the operator asked for it to be cleared.
inline uint8_t outer_traffic_class(const OutboundSa& sa, uint8_t inner_tc) {
    return sa.copy_dscp ? inner_tc : static_cast<uint8_t>(inner_tc & 0x03);
}

// Writes the outer header for a packet of `total` bytes (outer header included).
inline void write_outer_header(uint8_t* h, OutboundSa& sa, uint8_t traffic_class, uint32_t total) {
    std::memcpy(h, sa.outer_template.data(), sa.outer_header_length);
    if (sa.outer_family == IpFamily::V4) {
        const uint16_t id = sa.ipv4_id++;
        h[1] = traffic_class;
        store_be16(h + 2, static_cast<uint16_t>(total));
        store_be16(h + 4, id);
        uint32_t sum = sa.outer_checksum_seed + traffic_class + total + id;
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        store_be16(h + 10, static_cast<uint16_t>(~sum));
    } else {
        store_be32(h, 0x60000000u | uint32_t{traffic_class} << 20);  // flow label 0
        store_be16(h + 4, static_cast<uint16_t>(total - kIpv6HeaderLen));
    }
}

}  // namespace mcsec::esp
