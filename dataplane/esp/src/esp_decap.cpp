#include "mcsec/esp/esp_decap.hpp"

#include <atomic>
#include <cstring>

#include "mcsec/esp/byte_order.hpp"

namespace mcsec::esp {

namespace {

// Smallest ESP payload that can be valid: header, IV, pad length + next header, ICV.
constexpr uint32_t kMinEspLength = kEspHeaderLen + kEspIvLen + kEspTrailerLen + kEspIcvLen;

// RFC 4303 section 2.4: padding bytes are 1, 2, 3, ... A receiver that checks them rejects
// packets a sender built differently from the RFC's default, which we accept as the price of
// catching corruption that the ICV cannot (there is none: this runs after the ICV verified).
bool padding_is_valid(const uint8_t* pad, uint32_t pad_length) {
    for (uint32_t k = 0; k < pad_length; ++k) {
        if (pad[k] != static_cast<uint8_t>(k + 1)) return false;
    }
    return true;
}

}  // namespace

uint32_t EspDecap::process(std::span<PacketBuffer*> pkts, std::span<InboundSa*> sas,
                           std::span<DropReason> reasons, uint64_t now_seconds) {
    return process_in_chunks<InboundSa*>(
        pkts, sas, reasons, [&](auto chunk, auto chunk_sas, auto chunk_reasons) {
            return process_chunk(chunk, chunk_sas, chunk_reasons, now_seconds);
        });
}

uint32_t EspDecap::process_chunk(std::span<PacketBuffer*> pkts, std::span<InboundSa*> sas,
                                 std::span<DropReason> reasons, uint64_t now_seconds) {
    const auto n = static_cast<uint32_t>(pkts.size());
    BurstStatus* status = status_.data();
    Scratch* scratch = scratch_.data();
    crypto::AeadOp* ops = ops_.data();
    uint32_t op_count = 0;
    InboundSa* last_sa = nullptr;
    uint32_t last_spi = 0;
    // The previous packet's sender window (a view that does not exist yet stays invalid for
    // the chunk: windows are added in stage 3).
    InboundSa* found_sa = nullptr;
    uint16_t found_sender = 0;
    ReplayWindow found_window;
    IpAddress last_destination;

    auto drop = [&](uint32_t i, DropReason reason) {
        status[i] = {false, reason};
        drops_.add(reason);
    };

    // Stage 1: parse, look up the SA, pre-check replay, queue verification + decryption.
    for (uint32_t i = 0; i < n; ++i) {
        PacketBuffer& p = *pkts[i];
        sas[i] = nullptr;

        IpHeaderInfo outer;
        switch (parse_ip_header(p.bytes(), outer)) {
            case IpParseStatus::Ok:
                break;
            case IpParseStatus::Truncated:
                drop(i, DropReason::Truncated);
                continue;
            case IpParseStatus::Malformed:
                drop(i, DropReason::OuterMalformed);
                continue;
        }
        if (outer.is_fragment) {
            drop(i, DropReason::OuterFragment);
            continue;
        }
        if (outer.protocol != kIpProtoEsp) {
            drop(i, DropReason::NotEsp);
            continue;
        }
        p.trim_back(p.length() - outer.total_length);  // link-layer padding
        const uint32_t esp_length = outer.total_length - outer.header_length;
        if (esp_length < kMinEspLength) {
            drop(i, DropReason::Truncated);
            continue;
        }
        uint8_t* esp = p.data() + outer.header_length;
        const uint32_t spi = load_be32(esp);
        const uint32_t seq_low = load_be32(esp + 4);

        // Bursts usually carry one SA: reuse the previous packet's lookup (the tables cannot
        // change under a chunk: the lcore reports no quiescent point while it runs).
        if (spi != last_spi || outer.destination != last_destination || last_sa == nullptr) {
            last_sa = sad_.find(spi, outer.destination);
            last_spi = spi;
            last_destination = outer.destination;
        }
        InboundSa* sa = last_sa;
        if (sa == nullptr) {
            drop(i, DropReason::UnknownSpi);
            continue;
        }
        if (flag_set(sa->runtime->hard_expired)) {
            drop(i, DropReason::SaHardExpired);
            continue;
        }

        Scratch& s = scratch[i];
        const uint64_t iv = load_be64(esp + kEspHeaderLen);
        s.sender_id = static_cast<uint16_t>(iv >> kIvCounterBits);
        // A sender we have no window for yet can only be checked after the ICV verifies: its
        // window is created then, so forged packets cannot use up the SA's windows. The view
        // may be invalid (no window), never dangling: windows other lcores add are found here.
        if (sa != found_sa || s.sender_id != found_sender) {
            found_window = sa->senders.find(s.sender_id);
            found_sa = sa;
            found_sender = s.sender_id;
        }
        const ReplayWindow window = found_window;
        if (!sa->esn) {
            s.seq = seq_low;
        } else if (window.valid()) {
            s.seq = window.infer_esn(seq_low);  // RFC 4303 Appendix A2.2
        } else {
            // No state for this sender yet (we joined late or restarted): the RFC 6054 IV
            // counter carries the sender's full sequence number, so take the high half from
            // it. A wrong guess only fails the ICV, since the high half is in the AAD.
            const uint64_t iv_counter = iv & kMaxSeqEsn;
            s.seq = (iv_counter & ~uint64_t{0xffffffff}) | seq_low;
        }
        if (sa->replay_check && window.valid() && !window.check(s.seq)) {
            drop(i, DropReason::Replay);
            continue;
        }
        if (sa->replay_check && s.seq == 0) {
            drop(i, DropReason::Replay);  // RFC 4303: sequence number 0 is never sent
            continue;
        }
        // Byte and packet lifetimes are per sender: each sender's share of the key's use.
        if (window.valid() && (sa->lifetime.hard_bytes | sa->lifetime.hard_packets) != 0 &&
            evaluate_lifetime(sa->lifetime, window.usage(), 0) == LifetimeStatus::Hard) {
            drop(i, DropReason::SaHardExpired);
            continue;
        }

        write_nonce(s.gcm.nonce, load_salt(sa->salt.data()), iv);
        const uint32_t aad_len = sa->esn ? 12 : 8;
        if (sa->esn) {
            write_aad(s.gcm.aad, spi, static_cast<uint32_t>(s.seq >> 32), seq_low);
        } else {
            write_aad(s.gcm.aad, spi, seq_low, 0);
        }
        s.outer_header_length = outer.header_length;

        crypto::AeadOp& op = ops[op_count++];
        op.key = sa->key.get();
        op.nonce = s.gcm.nonce;
        op.aad = s.gcm.aad;
        op.aad_len = aad_len;
        op.data = esp + kEspHeaderLen + kEspIvLen;
        op.len = esp_length - kEspHeaderLen - kEspIvLen - kEspIcvLen;
        op.tag = op.data + op.len;
        op.user_index = i;
        sas[i] = sa;
        status[i] = {true, DropReason::Count};
    }

    // Stage 2: one crypto burst verifies and decrypts the whole chunk.
    engine_.open({ops, op_count});

    // Stage 3: replay window update, trailer, inner packet and inbound policy checks.
    InboundSa* run_sa = nullptr;
    ReplayWindow run_window;
    uint16_t run_sender = 0;
    uint64_t run_packets = 0, run_bytes = 0;
    InboundSa* window_sa = nullptr;
    uint16_t window_sender = 0;
    ReplayWindow last_window;
    auto flush_run = [&] {
        if (run_sa == nullptr) return;
        add_usage(run_sa->runtime->usage, run_packets, run_bytes);
        run_window.add_usage(run_packets, run_bytes);
    };
    for (uint32_t k = 0; k < op_count; ++k) {
        const crypto::AeadOp& op = ops[k];
        const uint32_t i = op.user_index;
        InboundSa& sa = *sas[i];
        const Scratch& s = scratch[i];
        if (!op.ok) {
            drop(i, DropReason::IcvMismatch);
            continue;
        }
        // Authentic, yet sent with our own sender ID: another box uses the same ID (and so the
        // same AES-GCM nonces). Counted for the alarm, never delivered.
        if (sa.own_sender_id != 0 && s.sender_id == sa.own_sender_id) {
            std::atomic_ref<uint64_t>(sa.runtime->own_sender_id_packets)
                .fetch_add(1, std::memory_order_relaxed);
            drop(i, DropReason::OwnSenderId);
            continue;
        }
        // The sender's window holds its replay state and its share of the lifetime; it is
        // taken now that the packet authenticated.
        // Bursts mostly carry one sender: reuse the previous packet's window.
        if (&sa != window_sa || s.sender_id != window_sender) {
            last_window = sa.senders.find_or_add(s.sender_id);
            window_sa = &sa;
            window_sender = s.sender_id;
        }
        ReplayWindow window = last_window;
        if (!window.valid()) {
            drop(i, DropReason::TooManySenders);
            continue;
        }
        if (sa.replay_check && !window.update(s.seq)) {
            drop(i, DropReason::Replay);  // a copy passed first, in this burst or another lcore
            continue;
        }

        const uint32_t pad_length = op.data[op.len - 2];
        const uint8_t next_header = op.data[op.len - 1];
        if (pad_length + kEspTrailerLen > op.len ||
            !padding_is_valid(op.data + op.len - kEspTrailerLen - pad_length, pad_length)) {
            drop(i, DropReason::BadPadding);
            continue;
        }
        if (next_header == kIpProtoNoNext) {
            drop(i, DropReason::DummyPacket);
            continue;
        }
        if (next_header != kIpProtoIpv4 && next_header != kIpProtoIpv6) {
            drop(i, DropReason::BadNextHeader);
            continue;
        }

        const uint32_t payload_length = op.len - kEspTrailerLen - pad_length;
        IpHeaderInfo inner;
        const IpFamily expected = next_header == kIpProtoIpv4 ? IpFamily::V4 : IpFamily::V6;
        if (parse_ip_header({op.data, payload_length}, inner) != IpParseStatus::Ok ||
            inner.family != expected) {
            drop(i, DropReason::InnerInvalid);
            continue;
        }
        // The inbound policy check RFC 4301 section 5.2 requires: without it, any holder of
        // the group key could inject traffic for other groups or from spoofed sources.
        if (inner.destination != sa.red_group ||
            (sa.red_source && !sa.red_source->contains(inner.source))) {
            drop(i, DropReason::InboundPolicyMismatch);
            continue;
        }

        // Usage is added once per run of packets from one sender on one SA (flushed below);
        // the lifetime check sees the shared totals plus this run.
        if (&sa != run_sa || s.sender_id != run_sender) {
            flush_run();
            run_sa = &sa;
            run_window = window;
            run_sender = s.sender_id;
            run_packets = run_bytes = 0;
        }
        if (has_limits(sa.lifetime)) {
            LifetimeUsage used = window.usage();
            used.packets += run_packets;
            used.bytes += run_bytes;
            // The packet that reaches a hard limit is still delivered; later ones are dropped.
            if (evaluate_lifetime(sa.lifetime, used, 0) == LifetimeStatus::Hard) {
                drop(i, DropReason::SaHardExpired);
                continue;
            }
            used.packets += 1;
            used.bytes += inner.total_length;
            const uint64_t age = now_seconds - std::min(now_seconds, sa.created_at_seconds);
            if (evaluate_lifetime(sa.lifetime, used, age) != LifetimeStatus::Ok) {
                set_flag(sa.runtime->soft_expired);  // rekey wanted
            }
            // Time runs out for every sender at once: the SA stops.
            if (limit_reached(sa.lifetime.hard_seconds, age)) set_flag(sa.runtime->hard_expired);
        }
        ++run_packets;
        run_bytes += inner.total_length;

        PacketBuffer& p = *pkts[i];
        p.trim_front(s.outer_header_length + kEspHeaderLen + kEspIvLen);
        // Any TFC padding beyond the inner total length goes with the trailer.
        p.trim_back(p.length() - inner.total_length);
    }

    flush_run();
    return partition_burst<InboundSa*>(pkts, sas, {status, n}, reasons);
}

}  // namespace mcsec::esp
