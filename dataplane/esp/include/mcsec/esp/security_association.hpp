// Group security associations (RFC 5374) as the ESP stages use them.
//
// One group SA (SPI, key, salt) is shared by every member of a multicast group. Each member
// sends with its own RFC 6054 sender ID, so the AES-GCM IV of every packet is
//     IV (64 bits) = sender ID (16 bits) || per-sender counter (48 bits)
// and the counter is the packet's 64-bit ESP sequence number. Two senders can therefore never
// produce the same (key, IV) pair, and one counter serves both purposes. Receivers keep one
// replay window per (SA, sender ID).
//
// OutboundSa is what this appliance sends with; InboundSa is what it accepts. Both are built
// from one GroupSaParams. Fields marked "dataplane-written" are the only ones the fast path
// changes; everything else is set when the SA is created.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mcsec/crypto/aead.hpp"
#include "mcsec/esp/ip_header.hpp"
#include "mcsec/esp/lifetime.hpp"
#include "mcsec/esp/replay_window.hpp"

namespace mcsec::esp {

inline constexpr uint32_t kEspHeaderLen = 8;  // SPI + sequence number
inline constexpr uint32_t kEspIvLen = 8;      // RFC 4106 explicit IV
inline constexpr uint32_t kEspIcvLen = static_cast<uint32_t>(crypto::kGcmTagLen);
inline constexpr uint32_t kEspTrailerLen = 2;  // pad length + next header
inline constexpr uint32_t kSaltLen = 4;
inline constexpr uint32_t kSenderIdBits = 16;
inline constexpr uint32_t kIvCounterBits = 64 - kSenderIdBits;
// Largest sequence number a sender may use: 2^32-1 without ESN (RFC 4303: never cycle), and
// with ESN the 48 bits of the IV counter. The next packet after it forces a rekey.
inline constexpr uint64_t kMaxSeqNoEsn = 0xffffffffULL;
inline constexpr uint64_t kMaxSeqEsn = (uint64_t{1} << kIvCounterBits) - 1;
inline constexpr uint32_t kDefaultMaxSenders = 64;
// A sender asks for a rekey (soft expiry) once it has used 7/8 of its counter space: at 10 Mpps
// without ESN that leaves about a minute for the new key before the counter would run out.
constexpr uint64_t rekey_point(uint64_t max_seq) {
    return max_seq - max_seq / 8;
}
// Windows per SA: the window number shares a 32-bit index word with the 16-bit sender ID.
inline constexpr uint32_t kMaxSendersPerSa = 4096;

// Source selector of an inbound SA: inner packets must come from this prefix.
struct SourcePrefix {
    IpAddress address;
    uint8_t length = 0;  // in bits of the 16-byte form (IPv4 /24 is 96 + 24 = 120)
    bool contains(const IpAddress& a) const;
};

struct GroupSaParams {
    uint32_t spi = 0;
    crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::AesGcm128;
    std::span<const uint8_t> key;  // key_length(algorithm) bytes
    std::array<uint8_t, kSaltLen> salt{};
    bool esn = true;

    IpAddress red_group;                     // inner destination the SA protects (selector)
    std::optional<SourcePrefix> red_source;  // optional inner source selector
    IpAddress tunnel_destination;            // outer destination: red_group or a black group
    IpAddress tunnel_source;                 // outer source: this appliance's black address
    uint8_t outer_ttl = 64;
    bool copy_dscp = true;  // RFC 4301: copy DSCP to the outer header

    uint16_t sender_id = 1;  // this appliance's RFC 6054 sender ID (outbound)
    uint32_t replay_window = 1024;
    bool replay_check = true;  // off only for replaying captures in benchmarks
    uint32_t max_senders = kDefaultMaxSenders;
    LifetimeLimits lifetime;
    uint64_t created_at_seconds = 0;
};

// Runtime state may be shared by lcores (and read by mcsecctl): every access goes through these
// relaxed atomic helpers, which compile to plain loads and stores (and one locked add).
inline uint64_t load_relaxed(const uint64_t& v) {
    return std::atomic_ref<const uint64_t>(v).load(std::memory_order_relaxed);
}
inline bool flag_set(const uint8_t& f) {
    return std::atomic_ref<const uint8_t>(f).load(std::memory_order_relaxed) != 0;
}
inline void set_flag(uint8_t& f) {
    std::atomic_ref<uint8_t>(f).store(1, std::memory_order_relaxed);
}
inline void add_usage(LifetimeUsage& usage, uint64_t packets, uint64_t bytes) {
    std::atomic_ref<uint64_t>(usage.packets).fetch_add(packets, std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(usage.bytes).fetch_add(bytes, std::memory_order_relaxed);
}
inline LifetimeUsage load_usage(const LifetimeUsage& usage) {
    return {load_relaxed(usage.packets), load_relaxed(usage.bytes)};
}

// seq_limit of an SA whose runtime lives in the object (tests, benchmarks, tools): no ledger.
inline constexpr uint64_t kNoSeqLimit = ~uint64_t{0};

// What the fast path writes for an outbound SA. Plain data with a fixed layout, so it can live
// in the shared-memory region (and survive a dataplane restart) or inside OutboundSa itself.
struct OutboundSaRuntime {
    uint64_t last_seq = 0;  // sequence number of the last packet sent
    // Highest sequence number this SA may use: the dataplane's SeqReserver raises it only after
    // the nonce ledger has it on disk (release store; docs/esp.md, "Nonce safety across
    // restarts"). Encap drops with seq_not_reserved above it. Shared-memory slots start at 0.
    uint64_t seq_limit = kNoSeqLimit;
    LifetimeUsage usage;
    uint8_t soft_expired = 0;  // rekey wanted
    uint8_t hard_expired = 0;  // SA must not be used any more
};

// The same for an inbound SA; its replay windows are a separate block (SenderWindows).
struct InboundSaRuntime {
    LifetimeUsage usage;  // all senders together (lifetimes are per sender: SenderWindows)
    uint8_t soft_expired = 0;
    uint8_t hard_expired = 0;
    uint64_t own_sender_id_packets = 0;  // authenticated packets carrying our own sender ID
};

struct OutboundSa {
    uint32_t spi = 0;
    std::array<uint8_t, kSaltLen> salt{};
    std::unique_ptr<crypto::AeadKey> key;
    bool esn = true;
    uint16_t sender_id = 0;
    uint64_t max_seq = kMaxSeqEsn;
    uint64_t rekey_seq = rekey_point(kMaxSeqEsn);  // from here on the SA asks for a rekey

    IpAddress red_group;
    std::optional<SourcePrefix> red_source;  // outbound policy: only these sources are sent
    IpFamily outer_family = IpFamily::V4;
    IpAddress tunnel_source;
    IpAddress tunnel_destination;
    uint8_t outer_ttl = 64;
    bool copy_dscp = true;
    std::array<uint8_t, kIpv6HeaderLen> outer_template{};  // see outer_header.hpp
    uint32_t outer_header_length = kIpv4HeaderLen;
    uint32_t outer_checksum_seed = 0;
    LifetimeLimits lifetime;
    uint64_t created_at_seconds = 0;
    uint16_t ipv4_id = 0;  // outer IPv4 ID; local to the lcore, need not survive a restart

    // Where the dataplane-written state lives: own_runtime, or the shared-memory slot.
    OutboundSaRuntime* runtime = &own_runtime;
    OutboundSaRuntime own_runtime;

    OutboundSa() = default;
    OutboundSa(const OutboundSa&) = delete;
    OutboundSa& operator=(const OutboundSa&) = delete;
};

// One replay window per sender ID of an inbound SA, in one block of 64-bit words that this
// class views but does not own (so it can live in shared memory, where every lcore's view of
// the SA shares it). A sender gets a window the first time a packet from it authenticates;
// windows are never given back while the SA lives.
// Block layout: [windows handed out][index: u32 per slot][windows].
// Any number of lcores may find and add windows at once: a window number is taken with an
// atomic add and published by a compare-and-swap of the index slot, which carries the sender
// ID and the window number in one word, so every lcore finds every window the moment it exists.
class SenderWindows {
  public:
    static size_t block_words(uint32_t max_senders, uint32_t window_size);

    SenderWindows() = default;
    // block: block_words(...) words. initialize = true formats a new block; false attaches
    // to one formatted earlier (another lcore's, or one a restarted dataplane left).
    SenderWindows(uint64_t* block, uint32_t max_senders, uint32_t window_size, bool initialize);

    // The sender's window; an invalid view (valid() false) when it has none.
    ReplayWindow find(uint16_t sender_id) const;
    // The same, giving the sender a window if it has none; invalid when all are taken.
    ReplayWindow find_or_add(uint16_t sender_id);
    uint32_t count() const;
    uint32_t capacity() const { return max_senders_; }

  private:
    ReplayWindow window(uint32_t number) const;

    uint64_t* used_ = nullptr;
    uint32_t* index_ = nullptr;  // open addressing: 0 empty, else sender << 16 | window + 1
    uint32_t index_mask_ = 0;
    uint64_t* windows_ = nullptr;
    uint32_t window_words_ = 0;
    uint32_t window_size_ = 0;
    uint32_t max_senders_ = 0;
    ReplayWindow first_;  // window 0's view: its clamped size and ring mask, for every window
};

struct InboundSa {
    uint32_t spi = 0;
    std::array<uint8_t, kSaltLen> salt{};
    std::unique_ptr<crypto::AeadKey> key;
    bool esn = true;
    bool replay_check = true;
    IpAddress tunnel_destination;  // SAD key together with the SPI
    IpAddress red_group;           // inbound policy: inner destination must be this group
    std::optional<SourcePrefix> red_source;
    LifetimeLimits lifetime;
    uint64_t created_at_seconds = 0;

    // This appliance's own sender ID where it also sends on the SA (0 = receive only): a packet
    // that carries it and authenticates came from another box configured with the same ID, so
    // both are drawing AES-GCM nonces from one space.
    uint16_t own_sender_id = 0;

    InboundSaRuntime* runtime = &own_runtime;
    SenderWindows senders;

    InboundSaRuntime own_runtime;
    std::vector<uint64_t> own_window_block;

    // Runtime state and windows inside this object.
    InboundSa(uint32_t max_senders, uint32_t window_size);
    // Runtime state and windows elsewhere (shared memory); see SenderWindows for `initialize`.
    InboundSa(uint32_t max_senders, uint32_t window_size, InboundSaRuntime* external_runtime,
              uint64_t* external_window_block, bool initialize);
    InboundSa(const InboundSa&) = delete;
    InboundSa& operator=(const InboundSa&) = delete;
};

// Where make_*_sa puts the dataplane-written state; all null = inside the SA object.
struct ExternalRuntime {
    OutboundSaRuntime* outbound = nullptr;
    InboundSaRuntime* inbound = nullptr;
    uint64_t* window_block = nullptr;  // SenderWindows::block_words(max_senders, replay_window)
    bool initialize = true;            // false: attach to state a previous dataplane left
};

// Builds the two halves of a group SA with `engine`'s key schedule. Returns nullptr if the key
// length does not match the algorithm.
std::unique_ptr<OutboundSa> make_outbound_sa(crypto::AeadEngine& engine,
                                             const GroupSaParams& params,
                                             const ExternalRuntime& external = {});
std::unique_ptr<InboundSa> make_inbound_sa(crypto::AeadEngine& engine, const GroupSaParams& params,
                                           const ExternalRuntime& external = {});

}  // namespace mcsec::esp
