// ESP tunnel-mode encapsulation for group SAs (RFC 4303, RFC 4106, RFC 5374, RFC 6054), in
// place in the packet buffer: outer IP header + ESP header + IV are prepended into the
// headroom, padding + pad length + next header + ICV are appended into the tailroom, and the
// inner packet plus trailer is encrypted by the crypto engine in one burst.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "mcsec/crypto/aead.hpp"
#include "mcsec/esp/burst.hpp"
#include "mcsec/esp/drop_reason.hpp"
#include "mcsec/esp/gcm_nonce.hpp"
#include "mcsec/esp/packet_buffer.hpp"
#include "mcsec/esp/security_association.hpp"

namespace mcsec::esp {

// Bytes of headroom and tailroom an outbound packet needs on top of the inner packet.
inline constexpr uint32_t kEncapMaxHeadroom = kIpv6HeaderLen + kEspHeaderLen + kEspIvLen;
inline constexpr uint32_t kEncapMaxTailroom = 3 + kEspTrailerLen + kEspIcvLen;

// RFC 4303 section 2.4: the pad length and next header fields end on a 4-byte boundary. GCM
// needs no block alignment, so this is the only padding.
constexpr uint32_t esp_padding_for(uint32_t inner_length) {
    return (4 - ((inner_length + kEspTrailerLen) & 3)) & 3;
}

// Length of the outer packet that carries an inner packet of `inner_length` bytes.
constexpr uint32_t esp_tunnel_length(uint32_t inner_length, IpFamily outer) {
    const uint32_t outer_header = outer == IpFamily::V4 ? kIpv4HeaderLen : kIpv6HeaderLen;
    return outer_header + kEspHeaderLen + kEspIvLen + inner_length + esp_padding_for(inner_length) +
           kEspTrailerLen + kEspIcvLen;
}

// The largest inner packet whose outer packet fits in `mtu` (0 if none does): what a
// packet-too-big message reports to the red source.
constexpr uint32_t max_inner_length(uint32_t mtu, IpFamily outer) {
    const uint32_t fixed = esp_tunnel_length(0, outer) - esp_padding_for(0);
    if (mtu < fixed + kEspTrailerLen) return 0;
    return (mtu - fixed + kEspTrailerLen) / 4 * 4 - kEspTrailerLen;
}

class EspEncap {
  public:
    explicit EspEncap(crypto::AeadEngine& engine) : engine_(engine) {}

    // Encapsulates pkts[i] (an inner IPv4/IPv6 packet) with sas[i]. On return pkts[0..n) are
    // ESP packets for the black port and pkts[n..) were dropped, with reasons[n..); the
    // reasons are also counted in drops(). sas is reordered along with pkts.
    uint32_t process(std::span<PacketBuffer*> pkts, std::span<OutboundSa*> sas,
                     std::span<DropReason> reasons, uint64_t now_seconds);

    const DropCounters& drops() const { return drops_; }

  private:
    uint32_t process_chunk(std::span<PacketBuffer*> pkts, std::span<OutboundSa*> sas,
                           std::span<DropReason> reasons, uint64_t now_seconds);

    // Per-chunk scratch lives in the stage object (one per lcore), not on the stack, so it
    // is not re-initialised on every burst.
    struct Scratch {
        GcmInputs gcm;
        uint32_t inner_length;
    };

    crypto::AeadEngine& engine_;
    DropCounters drops_;
    std::array<BurstStatus, kMaxBurst> status_{};
    std::array<Scratch, kMaxBurst> scratch_{};
    std::array<crypto::AeadOp, kMaxBurst> ops_{};
};

}  // namespace mcsec::esp
