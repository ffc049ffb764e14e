#include "mcsec/esp/outer_header.hpp"

namespace mcsec::esp {

void build_outer_template(OutboundSa& sa) {
    uint8_t* h = sa.outer_template.data();
    sa.outer_template.fill(0);
    if (sa.outer_family == IpFamily::V4) {
        sa.outer_header_length = kIpv4HeaderLen;
        h[0] = 0x45;
        // Flags and fragment offset 0: the black side may fragment (MTU policy is per port).
        h[8] = sa.outer_ttl;
        h[9] = kIpProtoEsp;
        std::memcpy(h + 12, sa.tunnel_source.v4_bytes(), 4);
        std::memcpy(h + 16, sa.tunnel_destination.v4_bytes(), 4);
        // One's-complement sum of the constant words; TOS, length and ID are added per packet.
        uint32_t sum = 0;
        for (uint32_t i = 0; i < kIpv4HeaderLen; i += 2) sum += load_be16(h + i);
        sa.outer_checksum_seed = sum;
    } else {
        sa.outer_header_length = kIpv6HeaderLen;
        h[6] = kIpProtoEsp;
        h[7] = sa.outer_ttl;
        std::memcpy(h + 8, sa.tunnel_source.bytes.data(), 16);
        std::memcpy(h + 24, sa.tunnel_destination.bytes.data(), 16);
    }
}

}  // namespace mcsec::esp
