// ESP tunnel-mode decapsulation for group SAs: parse the outer header, find the inbound SA by
// (SPI, destination), check the per-sender replay window, verify and decrypt in one crypto
// burst, then check padding, the inner packet and the inbound policy (the inner packet must
// match the SA's selectors), and strip everything but the inner packet. Input is untrusted:
// every read is bounds-checked and every failure has its own drop reason.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "mcsec/crypto/aead.hpp"
#include "mcsec/esp/burst.hpp"
#include "mcsec/esp/drop_reason.hpp"
#include "mcsec/esp/gcm_nonce.hpp"
#include "mcsec/esp/packet_buffer.hpp"
#include "mcsec/esp/sad.hpp"

namespace mcsec::esp {

class EspDecap {
  public:
    EspDecap(crypto::AeadEngine& engine, const InboundSaLookup& sad) : engine_(engine), sad_(sad) {}

    // Decapsulates pkts[i] (an outer IPv4/IPv6 packet from the black port). On return
    // pkts[0..n) hold the inner packets and sas[0..n) the SA each arrived on; pkts[n..) were
    // dropped with reasons[n..), also counted in drops().
    uint32_t process(std::span<PacketBuffer*> pkts, std::span<InboundSa*> sas,
                     std::span<DropReason> reasons, uint64_t now_seconds);

    const DropCounters& drops() const { return drops_; }

  private:
    uint32_t process_chunk(std::span<PacketBuffer*> pkts, std::span<InboundSa*> sas,
                           std::span<DropReason> reasons, uint64_t now_seconds);

    // Per-chunk scratch lives in the stage object (one per lcore), not on the stack, so it
    // is not re-initialised on every burst.
    struct Scratch {
        GcmInputs gcm;
        uint64_t seq;
        uint16_t sender_id;
        uint32_t outer_header_length;
    };

    crypto::AeadEngine& engine_;
    const InboundSaLookup& sad_;
    DropCounters drops_;
    std::array<BurstStatus, kMaxBurst> status_{};
    std::array<Scratch, kMaxBurst> scratch_{};
    std::array<crypto::AeadOp, kMaxBurst> ops_{};
};

}  // namespace mcsec::esp
