#include "mcsec/esp/esp_encap.hpp"

#include <atomic>
#include <cstring>

#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/outer_header.hpp"

namespace mcsec::esp {

namespace {

// RFC 4303 default padding contents: 1, 2, 3, ...
constexpr uint8_t kPadBytes[4] = {1, 2, 3, 4};

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
    BurstStatus* status = status_.data();
    Scratch* scratch = scratch_.data();
    crypto::AeadOp* ops = ops_.data();
    uint32_t op_count = 0;
    OutboundSa* reserved_sa = nullptr;
    uint64_t reserved_next = 1, reserved_last = 0, reserved_limit = 0;

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

        if (flag_set(sa.runtime->hard_expired)) {
            drop(i, DropReason::SaHardExpired);
            continue;
        }
        const LifetimeStatus life =
            evaluate_lifetime(sa.lifetime, load_usage(sa.runtime->usage),
                              now_seconds - std::min(now_seconds, sa.created_at_seconds));
        if (life == LifetimeStatus::Hard) {
            set_flag(sa.runtime->hard_expired);
            drop(i, DropReason::SaHardExpired);
            continue;
        }
        if (life == LifetimeStatus::Soft) set_flag(sa.runtime->soft_expired);

        const uint32_t outer_header_length = sa.outer_header_length;
        const uint32_t pad = esp_padding_for(inner_length);
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
        // Several lcores may send on one SA, so sequence numbers are reserved with an atomic
        // add: once per run of consecutive packets on the same SA, not per packet. A packet
        // dropped after its reservation leaves a gap, which receivers tolerate; no two packets
        // ever get the same number (and IV).
        // Numbers above seq_limit are not yet on disk in the nonce ledger: a restart could hand
        // them out again, so they are never used (the limit is read once per run).
        if (&sa != reserved_sa || reserved_next > reserved_last) {
            const uint64_t limit = std::atomic_ref<const uint64_t>(sa.runtime->seq_limit)
                                       .load(std::memory_order_acquire);
            const uint64_t last = load_relaxed(sa.runtime->last_seq);
            if (last >= limit && last < sa.max_seq) {
                drop(i, DropReason::SeqNotReserved);  // nothing reserved: consume no number
                continue;
            }
            uint32_t run = 1;
            while (i + run < n && sas[i + run] == &sa) ++run;
            const uint64_t base = std::atomic_ref<uint64_t>(sa.runtime->last_seq)
                                      .fetch_add(run, std::memory_order_relaxed);
            reserved_sa = &sa;
            reserved_next = base + 1;
            reserved_last = base + run;
            reserved_limit = limit;
        }
        const uint64_t seq = reserved_next++;
        // Ask for a rekey well before the counter runs out, so traffic never has to stop.
        if (seq >= sa.rekey_seq) set_flag(sa.runtime->soft_expired);
        if (seq > sa.max_seq) {
            std::atomic_ref<uint64_t>(sa.runtime->last_seq)
                .store(sa.max_seq, std::memory_order_relaxed);
            set_flag(sa.runtime->hard_expired);
            drop(i, DropReason::SeqExhausted);
            continue;
        }
        if (seq > reserved_limit) {
            drop(i, DropReason::SeqNotReserved);
            continue;
        }
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
        write_outer_header(outer, sa, outer_traffic_class(sa, inner.traffic_class), p.length());

        // RFC 4106 section 4: nonce = salt || IV. Section 5: AAD = SPI || [seq high] || seq low.
        Scratch& s = scratch[i];
        write_nonce(s.gcm.nonce, load_salt(sa.salt.data()), iv);
        const auto seq_high = static_cast<uint32_t>(seq >> 32);
        const auto seq_low = static_cast<uint32_t>(seq);
        const uint32_t aad_len = sa.esn ? 12 : 8;
        if (sa.esn) {
            write_aad(s.gcm.aad, sa.spi, seq_high, seq_low);
        } else {
            write_aad(s.gcm.aad, sa.spi, seq_low, 0);
        }

        crypto::AeadOp& op = ops[op_count++];
        op.key = sa.key.get();
        op.nonce = s.gcm.nonce;
        op.aad = s.gcm.aad;
        op.aad_len = aad_len;
        op.data = esp + kEspHeaderLen + kEspIvLen;
        op.len = inner_length + pad + kEspTrailerLen;
        op.tag = icv;
        op.user_index = i;
        s.inner_length = inner_length;
        status[i] = {true, DropReason::Count};
    }

    // Stage 2: one crypto burst for the whole chunk.
    engine_.seal({ops, op_count});

    // Stage 3: account, one atomic add per run of packets on the same SA.
    OutboundSa* run_sa = nullptr;
    uint64_t run_packets = 0, run_bytes = 0;
    for (uint32_t k = 0; k < op_count; ++k) {
        const uint32_t i = ops[k].user_index;
        if (!ops[k].ok) {
            drop(i, DropReason::CryptoFailed);
            continue;
        }
        if (sas[i] != run_sa) {
            if (run_sa != nullptr) add_usage(run_sa->runtime->usage, run_packets, run_bytes);
            run_sa = sas[i];
            run_packets = run_bytes = 0;
        }
        ++run_packets;
        run_bytes += scratch[i].inner_length;
    }
    if (run_sa != nullptr) add_usage(run_sa->runtime->usage, run_packets, run_bytes);

    return partition_burst<OutboundSa*>(pkts, sas, {status, n}, reasons);
}

}  // namespace mcsec::esp
