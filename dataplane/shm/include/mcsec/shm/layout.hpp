// The shared-memory contract between mcsec-controld (and the manual-keying path) and
// mcsec-dataplane: one region per appliance instance, /dev/shm/mcsec.<instance>, mode 0600.
//
//   [RegionHeader][LcoreState x lcores][Counters x lcores][SAD index][SPD index][SA slots]
//
// Writer rules (docs/ARCHITECTURE.md, "The SA table contract"):
// * One control writer (controld, `mcsecctl sa`, or the dataplane's manual keying at start)
//   writes SA control blocks, the SAD and SPD indexes and the header's generation. The rule is
//   enforced: SaTableWriter::acquire takes an exclusive flock on the region file, and refuses
//   a second writer, naming the holder's pid (writer_pid). The dataplane writes only SA runtime
//   blocks (sequence numbers, usage, replay windows), its LcoreState and its Counters, each on its
//   own cache lines.
// * Readers never lock. A slot or index entry is written completely, then published with a
//   release store of its state/tag; readers load that first, with acquire.
// * A retired slot or removed index entry is reused (and a slot's key bytes zeroed) only after
//   every online lcore, and the dataplane's sequence-number reserver, has passed a quiescent
//   point since the removal (a grace period).
// * An outbound SA's seq_limit (esp::OutboundSaRuntime) starts at 0 when a writer publishes it:
//   only the dataplane's SeqReserver raises it, after the nonce ledger has the new limit on disk.
//   A writer refuses an outbound SA with the key, salt and sender ID of another Active one (they
//   would share one AES-GCM nonce space).
// * Every structure is plain data at a fixed offset; the layout version changes when any of
//   it does, and a process refuses a region of another version.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mcsec/esp/drop_reason.hpp"
#include "mcsec/esp/lifetime.hpp"
#include "mcsec/esp/security_association.hpp"

namespace mcsec::shm {

inline constexpr uint64_t kMagic = 0x31434553'43434d53ULL;  // "SMCCSEC1" little-endian
inline constexpr uint32_t kLayoutVersion = 3;
inline constexpr size_t kCacheLine = 64;
inline constexpr uint32_t kNoSlot = 0xffffffffu;

// Sizes fixed when the region is created.
struct Geometry {
    uint32_t sa_slots = 1024;       // SAs (each may be inbound, outbound or both)
    uint32_t spd_entries = 1024;    // SPD index entries: policies plus one record per group
    uint32_t max_senders = 16;      // per inbound SA: RFC 6054 senders with their own window
    uint32_t replay_window = 1024;  // bits; the largest window any SA may ask for
    uint32_t lcores = 8;            // dataplane lcores that report quiescent states
    bool operator==(const Geometry&) const = default;
};

// One per dataplane lcore. The lcore bumps `quiescent` whenever it holds no reference into the
// tables (once per poll loop). Writers wait for it to move to end a grace period.
struct alignas(kCacheLine) LcoreState {
    std::atomic<uint64_t> quiescent;
    std::atomic<uint32_t> online;  // 1 while the lcore polls
};

struct alignas(kCacheLine) RegionHeader {
    uint64_t magic;
    uint32_t layout_version;
    uint32_t header_bytes;
    uint64_t region_bytes;
    Geometry geometry;
    char instance[33];  // NUL-terminated (names have at most 32 characters)
    // Offsets from the start of the region and strides, computed from the geometry.
    uint64_t lcore_offset, counters_offset, sad_offset, spd_offset, slots_offset;
    uint32_t sad_buckets, spd_buckets;  // powers of two, twice the capacity
    uint64_t slot_stride;
    uint64_t window_block_words;  // per slot, esp::SenderWindows::block_words

    // Control writer: bumped (release) after every change, so readers can skip re-checks.
    alignas(kCacheLine) std::atomic<uint64_t> generation;
    std::atomic<int32_t> writer_pid;
    // Dataplane: its pid while attached (0 otherwise) and how often it attached.
    alignas(kCacheLine) std::atomic<int32_t> dataplane_pid;
    std::atomic<uint32_t> dataplane_starts;
    // The dataplane's sequence-number reserver (dataplane/core seq_reserver.hpp) writes the
    // runtime blocks of Active outbound slots outside the lcores: it takes part in grace
    // periods like an lcore (online only while it walks the slots).
    LcoreState reserver;
};

// Per-lcore counters, written by that lcore only (relaxed), summed by readers.
struct alignas(kCacheLine) Counters {
    std::atomic<uint64_t> red_rx, red_tx, black_rx, black_tx, exception;
    std::atomic<uint64_t> drops[esp::kDropReasonCount];
};

enum class SlotState : uint32_t { Free = 0, Active = 1, Retired = 2 };
enum SaDirection : uint8_t { kInbound = 1, kOutbound = 2 };

// What the control writer says about an SA. Written while the slot is Free (invisible), then
// published by `state` = Active; never changed while Active.
struct alignas(kCacheLine) SaControl {
    std::atomic<uint32_t> state;    // SlotState
    std::atomic<uint32_t> version;  // bumped on every (re)use: dataplane caches key on it
    uint32_t spi;
    uint8_t algorithm;  // 0 = aes-gcm-128, 1 = aes-gcm-256
    uint8_t direction;  // SaDirection bits
    uint8_t esn;
    uint8_t replay_check;
    uint16_t sender_id;
    uint8_t outer_ttl;
    uint8_t copy_dscp;
    uint32_t replay_window;
    uint32_t max_senders;
    uint8_t key[32];
    uint8_t salt[4];
    uint8_t tunnel_source[16];
    uint8_t tunnel_destination[16];
    uint8_t red_group[16];
    uint8_t red_source[16];
    uint8_t red_source_length;  // bits of the 16-byte form; 0 = any source
    esp::LifetimeLimits lifetime;
    uint64_t created_at_seconds;
};

// What the dataplane writes about an SA: on its own cache lines, followed in the slot by the
// SA's sender-window block.
struct alignas(kCacheLine) SaRuntime {
    esp::OutboundSaRuntime outbound;
    alignas(kCacheLine) esp::InboundSaRuntime inbound;
};

// SAD index entry: (SPI, outer destination) -> slot. tag: 0 empty, kTombstone removed,
// else slot + 1. Readers stop at empty, skip tombstones.
struct alignas(32) SadEntry {
    std::atomic<uint32_t> tag;
    uint32_t spi;
    uint8_t destination[16];
};

// SPD index entry (RFC 4301 section 4.4.1 for the selectors mcsec offers: the red group and a
// source prefix of any length, most specific first). Two kinds share the index, told apart by
// the tag:
// * kSpdPolicy: (group, source prefix) -> action and outbound slot, packed in one 64-bit word so
//   a sender switches SAs with one atomic store (make-before-break). Keyed by (group, source
//   masked to `length`, `length`); length 0 is the group's any-source entry.
// * kSpdGroup: one per group with policy entries, keyed by the group alone: the set of prefix
//   lengths its entries use, so a lookup probes one entry per length in use, longest first,
//   whatever the number of entries or groups. `lengths[0]` bit i: length 128 - i; `lengths[1]`
//   bit i: length 64 - i; `value` bit 0: length 0. The writer sets a length's bit before it
//   publishes an entry of that length and clears it only once no entry of that length remains,
//   so the set never hides an entry from a reader.
struct alignas(64) SpdEntry {
    std::atomic<uint32_t> tag;  // 0 empty, kTombstone removed, else kSpdPolicy or kSpdGroup
    uint8_t length;             // kSpdPolicy: prefix length, bits of the 16-byte form (0..128)
    uint8_t reserved[3];
    uint8_t group[16];
    uint8_t source[16];                // kSpdPolicy: the prefix, bits past `length` zero
    std::atomic<uint64_t> value;       // kSpdPolicy: action (bits 0-7) | outbound slot (bits 32-63)
    std::atomic<uint64_t> lengths[2];  // kSpdGroup
};

inline constexpr uint32_t kSpdPolicy = 1;
inline constexpr uint32_t kSpdGroup = 2;
inline constexpr uint8_t kMaxPrefixLength = 128;

inline constexpr uint32_t kTombstone = 0xffffffffu;

enum class PolicyAction : uint8_t { Discard = 0, Bypass = 1, Protect = 2 };

inline uint64_t pack_policy(PolicyAction action, uint32_t outbound_slot) {
    return uint64_t{outbound_slot} << 32 | static_cast<uint8_t>(action);
}
inline PolicyAction policy_action(uint64_t v) {
    return static_cast<PolicyAction>(v & 0xff);
}
inline uint32_t policy_slot(uint64_t v) {
    return static_cast<uint32_t>(v >> 32);
}

static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);
static_assert(sizeof(SadEntry) == 32);
static_assert(sizeof(SpdEntry) == 64);
static_assert(sizeof(SaControl) % kCacheLine == 0);
static_assert(offsetof(SaRuntime, inbound) % kCacheLine == 0);

}  // namespace mcsec::shm
