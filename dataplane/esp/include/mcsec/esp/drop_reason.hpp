// Every reason the ESP stages drop a packet, defined once. Each row yields the enum value, the
// counter name operators see (snake_case, as in the TOML and JSON) and a one-line explanation.
// Adding a reason is one line here; counters and text follow by themselves.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace mcsec::esp {

#define MCSEC_ESP_DROP_REASONS(_)                                                               \
    /* outbound (red -> black) */                                                               \
    _(InnerMalformed, "inner_malformed", "red packet is not a well-formed IPv4/IPv6 packet")    \
    _(NoPolicy, "no_policy", "no SPD entry for the group: discarded by default (fail closed)")  \
    _(PolicyDiscard, "policy_discard", "SPD entry says DISCARD")                                \
    _(NoOutboundSa, "no_outbound_sa", "policy is PROTECT but the group has no usable SA yet")   \
    _(SaHardExpired, "sa_hard_expired", "SA passed a hard lifetime (time, bytes or packets)")   \
    _(SeqExhausted, "seq_exhausted", "sequence/IV counter would wrap: SA needs a rekey")        \
    _(SeqNotReserved, "seq_not_reserved", "seq above what the nonce ledger has on disk")        \
    _(NoHeadroom, "no_headroom", "not enough buffer headroom for outer header + ESP + IV")      \
    _(NoTailroom, "no_tailroom", "not enough buffer tailroom for ESP trailer + ICV")            \
    _(CryptoFailed, "crypto_failed", "crypto backend reported an error")                        \
    /* inbound (black -> red) */                                                                \
    _(Truncated, "truncated", "packet shorter than its headers say or than a minimal ESP")      \
    _(OuterMalformed, "outer_malformed", "outer IPv4/IPv6 header is not well formed")           \
    _(OuterFragment, "outer_fragment", "outer packet is a fragment (reassembly not supported)") \
    _(NotEsp, "not_esp", "outer packet does not carry ESP")                                     \
    _(UnknownSpi, "unknown_spi", "no inbound SA for (SPI, destination)")                        \
    _(TooManySenders, "too_many_senders", "SA has no free per-sender replay window")            \
    _(OwnSenderId, "own_sender_id",                                                             \
      "authentic packet with this box's own sender ID: another box has the same sender_id")     \
    _(Replay, "replay", "sequence number already seen or left of the replay window")            \
    _(IcvMismatch, "icv_mismatch", "integrity check failed (forged, corrupted or wrong key)")   \
    _(BadPadding, "bad_padding", "ESP padding length or contents are wrong")                    \
    _(BadNextHeader, "bad_next_header", "ESP next header is neither IPv4 (4) nor IPv6 (41)")    \
    _(DummyPacket, "dummy_packet", "ESP next header 59: traffic-flow-confidentiality dummy")    \
    _(InnerInvalid, "inner_invalid", "decrypted inner packet is not a well-formed IP packet")   \
    _(InboundPolicyMismatch, "inbound_policy_mismatch",                                         \
      "inner packet does not match the SA's selectors (spoofed or misrouted)")                  \
    /* forwarding (mcsec-dataplane around the ESP stages) */                                    \
    _(NotIp, "not_ip", "frame is not untagged IPv4/IPv6 (no exception path for it)")            \
    _(NotMulticast, "not_multicast", "red packet is not multicast: only groups are protected")  \
    _(MultiSegment, "multi_segment", "frame spans several buffers (jumbo): not supported")      \
    _(TtlExpired, "ttl_expired", "inner TTL / hop limit reached zero on the way to red")        \
    _(MtuExceeded, "mtu_exceeded", "outer packet larger than the black port MTU")               \
    _(TxFull, "tx_full", "transmit queue full, or no port to send on")                          \
    _(NoSubscriber, "no_subscriber", "no host on any red port joined the group (IGMP/MLD)")     \
    _(MembershipMalformed, "membership_malformed", "malformed IGMP/MLD message from red")

enum class DropReason : uint8_t {
#define MCSEC_X(name, counter, text) name,
    MCSEC_ESP_DROP_REASONS(MCSEC_X)
#undef MCSEC_X
        Count
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::Count);

struct DropReasonInfo {
    std::string_view counter_name;
    std::string_view description;
};

inline constexpr std::array<DropReasonInfo, kDropReasonCount> kDropReasonInfo = {{
#define MCSEC_X(name, counter, text) {counter, text},
    MCSEC_ESP_DROP_REASONS(MCSEC_X)
#undef MCSEC_X
}};

constexpr std::string_view counter_name(DropReason reason) {
    return kDropReasonInfo[static_cast<size_t>(reason)].counter_name;
}
constexpr std::string_view description(DropReason reason) {
    return kDropReasonInfo[static_cast<size_t>(reason)].description;
}

// Per-reason drop counters of one stage on one lcore (no atomics: one writer).
struct DropCounters {
    std::array<uint64_t, kDropReasonCount> count{};
    void add(DropReason reason) { ++count[static_cast<size_t>(reason)]; }
    uint64_t operator[](DropReason reason) const { return count[static_cast<size_t>(reason)]; }
    uint64_t total() const {
        uint64_t sum = 0;
        for (uint64_t c : count) sum += c;
        return sum;
    }
};

}  // namespace mcsec::esp
