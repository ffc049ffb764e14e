#include "mcsec/esp/esp_encap.hpp"

#include <cstring>

#include "mcsec/esp/byte_order.hpp"

namespace mcsec::esp {

namespace {

// RFC 4303 section 2.4: the pad length and next header fields end on a 4-byte boundary. GCM
// needs no block alignment, so this is the only padding.
constexpr uint32_t padding_for(uint32_t inner_length) {
    return (4 - ((inner_length + kEspTrailerLen) & 3)) & 3;
}

// RFC 4303 default padding contents: 1, 2, 3, ...
constexpr uint8_t kPadBytes[4] = {1, 2, 3, 4};

// RFC 6040 normal mode: the outer header copies the inner ECN field; RFC 4301 copies the DSCP
// unless the operator asked for it to be cleared.
uint8_t outer_traffic_class(const OutboundSa& sa, uint8_t inner_tc) {
    return sa.copy_dscp ? inner_tc : static_cast<uint8_t>(inner_tc & 0x03);
}

void write_outer_ipv4(uint8_t* h, OutboundSa& sa, uint8_t traffic_class, uint32_t total) {
    h[0] = 0x45;
    h[1] = traffic_class;
    store_be16(h + 2, static_cast<uint16_t>(total));
    store_be16(h + 4, sa.ipv4_id++);
    store_be16(h + 6, 0);  // may be fragmented on the black side (MTU policy comes with the port)
    h[8] = sa.outer_ttl;
    h[9] = kIpProtoEsp;
    store_be16(h + 10, 0);
    std::memcpy(h + 12, sa.tunnel_source.v4_bytes(), 4);
    std::memcpy(h + 16, sa.tunnel_destination.v4_bytes(), 4);
    store_be16(h + 10, internet_checksum(h, kIpv4HeaderLen));
}

void write_outer_ipv6(uint8_t* h, const OutboundSa& sa, uint8_t traffic_class, uint32_t total) {
    store_be32(h, 0x60000000u | uint32_t{traffic_class} << 20);  // flow label 0
    store_be16(h + 4, static_cast<uint16_t>(total - kIpv6HeaderLen));
    h[6] = kIpProtoEsp;
    h[7] = sa.outer_ttl;
    std::memcpy(h + 8, sa.tunnel_source.bytes.data(), 16);
    std::memcpy(h + 24, sa.tunnel_destination.bytes.data(), 16);
}

struct EncapScratch {
    uint8_t nonce[crypto::kGcmNonceLen];
    uint8_t aad[12];
};

}  // namespace

uint32_t EspEncap::process(std::span<PacketBuffer*> pkts, std::span<OutboundSa*> sas,
                           std::span<DropReason> reasons, uint64_t now_seconds) {
    return process_in_chunks<OutboundSa*>(
        pkts, sas, reasons, [&](auto chunk, auto chunk_sas, auto chunk_reasons) {
            return process_chunk(chunk, chunk_sas, chunk_reasons, now_seconds);
        });
}

uint32_t EspEncap::process_chunk(std::span<PacketBuffer*> pkts, std::span<OutboundSa*> sas,
                                 std::span<DropReason> reasons, uint64_t now_seconds) {
    const auto n = static_cast<uint32_t>(pkts.size());
    BurstStatus status[kMaxBurst];
    EncapScratch scratch[kMaxBurst];
    crypto::AeadOp ops[kMaxBurst];
    uint32_t inner_lengths[kMaxBurst];
    uint32_t op_count = 0;

    auto drop = [&](uint32_t i, DropReason reason) {
        status[i] = {false, reason};
        drops_.add(reason);
    };

    // Stage 1: build headers and trailers, assign sequence numbers, queue crypto.
    for (uint32_t i = 0; i < n; ++i) {
        PacketBuffer& p = *pkts[i];
        OutboundSa& sa = *sas[i];

        IpHeaderInfo inner;
        if (parse_ip_header(p.bytes(), inner) != IpParseStatus::Ok) {
            drop(i, DropReason::InnerMalformed);
            continue;
        }
        // Drop link-layer padding beyond the IP total length before it gets encrypted.
        p.trim_back(p.length() - inner.total_length);
        const uint32_t inner_length = p.length();

        if (sa.hard_expired) {
            drop(i, DropReason::SaHardExpired);
            continue;
        }
        const LifetimeStatus life = evaluate_lifetime(
            sa.lifetime, sa.usage, now_seconds - std::min(now_seconds, sa.created_at_seconds));
        if (life == LifetimeStatus::Hard) {
            sa.hard_expired = true;
            drop(i, DropReason::SaHardExpired);
            continue;
        }
        if (life == LifetimeStatus::Soft) sa.soft_expired = true;

        const uint32_t outer_header_length =
            sa.outer_family == IpFamily::V4 ? kIpv4HeaderLen : kIpv6HeaderLen;
        const uint32_t pad = padding_for(inner_length);
        const uint32_t head = outer_header_length + kEspHeaderLen + kEspIvLen;
        const uint32_t tail = pad + kEspTrailerLen + kEspIcvLen;
        if (p.headroom() < head) {
            drop(i, DropReason::NoHeadroom);
            continue;
        }
        if (p.tailroom() < tail) {
            drop(i, DropReason::NoTailroom);
            continue;
        }
        // Counter exhaustion forces a rekey; the counter never wraps (that would reuse IVs).
        if (sa.last_seq >= sa.max_seq) {
            sa.hard_expired = true;
            drop(i, DropReason::SeqExhausted);
            continue;
        }
        const uint64_t seq = ++sa.last_seq;
        const uint64_t iv = uint64_t{sa.sender_id} << kIvCounterBits | seq;

        uint8_t* trailer = p.append(pad + kEspTrailerLen);
        std::memcpy(trailer, kPadBytes, pad);
        trailer[pad] = static_cast<uint8_t>(pad);
        trailer[pad + 1] = inner.family == IpFamily::V4 ? kIpProtoIpv4 : kIpProtoIpv6;
        uint8_t* icv = p.append(kEspIcvLen);

        uint8_t* esp = p.prepend(kEspHeaderLen + kEspIvLen);
        store_be32(esp, sa.spi);
        store_be32(esp + 4, static_cast<uint32_t>(seq));
        store_be64(esp + kEspHeaderLen, iv);

        uint8_t* outer = p.prepend(outer_header_length);
        const uint8_t tc = outer_traffic_class(sa, inner.traffic_class);
        if (sa.outer_family == IpFamily::V4) {
            write_outer_ipv4(outer, sa, tc, p.length());
        } else {
            write_outer_ipv6(outer, sa, tc, p.length());
        }

        // RFC 4106 section 4: nonce = salt || IV. Section 5: AAD = SPI || [seq high] || seq low.
        EncapScratch& s = scratch[i];
        std::memcpy(s.nonce, sa.salt.data(), kSaltLen);
        std::memcpy(s.nonce + kSaltLen, esp + kEspHeaderLen, kEspIvLen);
        store_be32(s.aad, sa.spi);
        uint32_t aad_len = 8;
        if (sa.esn) {
            store_be32(s.aad + 4, static_cast<uint32_t>(seq >> 32));
            store_be32(s.aad + 8, static_cast<uint32_t>(seq));
            aad_len = 12;
        } else {
            store_be32(s.aad + 4, static_cast<uint32_t>(seq));
        }

        crypto::AeadOp& op = ops[op_count++];
        op.key = sa.key.get();
        op.nonce = s.nonce;
        op.aad = s.aad;
        op.aad_len = aad_len;
        op.data = esp + kEspHeaderLen + kEspIvLen;
        op.len = inner_length + pad + kEspTrailerLen;
        op.tag = icv;
        op.user_index = i;
        inner_lengths[i] = inner_length;
        status[i] = {true, DropReason::Count};
    }

    // Stage 2: one crypto burst for the whole chunk.
    engine_.seal({ops, op_count});

    // Stage 3: account.
    for (uint32_t k = 0; k < op_count; ++k) {
        const uint32_t i = ops[k].user_index;
        if (!ops[k].ok) {
            drop(i, DropReason::CryptoFailed);
            continue;
        }
        OutboundSa& sa = *sas[i];
        ++sa.usage.packets;
        sa.usage.bytes += inner_lengths[i];
    }

    return partition_burst<OutboundSa*>(pkts, sas, {status, n}, reasons);
}

}  // namespace mcsec::esp
