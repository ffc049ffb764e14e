// The two sides of the SA table contract (layout.hpp):
//   SaTableWriter — the one control writer (controld, mcsecctl sa, or the dataplane's manual
//                   keying at start): adds and retires SAs, sets policies, reclaims after grace
//                   periods. Acquired, never constructed: at most one lives per region.
//   SaTableReader — the dataplane: lock-free lookups, quiescent-state reports.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "mcsec/crypto/aead.hpp"
#include "mcsec/esp/ip_header.hpp"
#include "mcsec/esp/security_association.hpp"
#include "mcsec/shm/region.hpp"

namespace mcsec::shm {

// Everything the writer needs to publish one SA.
struct SaSpec {
    uint32_t spi = 0;
    crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::AesGcm128;
    std::span<const uint8_t> key;  // key_length(algorithm) bytes
    std::array<uint8_t, esp::kSaltLen> salt{};
    uint8_t direction = kInbound | kOutbound;
    bool esn = true;
    bool replay_check = true;
    uint16_t sender_id = 1;
    uint8_t outer_ttl = 64;
    bool copy_dscp = true;
    uint32_t replay_window = 1024;
    uint32_t max_senders = 16;
    esp::IpAddress tunnel_source;
    esp::IpAddress tunnel_destination;
    esp::IpAddress red_group;
    std::optional<esp::SourcePrefix> red_source;
    esp::LifetimeLimits lifetime;
    uint64_t created_at_seconds = 0;
};

// Builds the ESP core's SA parameters from a published slot (the dataplane's side of the
// contract); `key_out` receives the key bytes and must outlive the returned params' use.
esp::GroupSaParams params_from_control(const SaControl& control, std::array<uint8_t, 32>& key_out);

class SaTableWriter {
  public:
    // Becomes the region's one control writer: takes an exclusive, non-blocking flock on the
    // region file (/dev/shm/mcsec.<instance>) and records its pid in the header. nullptr with
    // `error` naming the holder's pid if another writer (any process, or another object in
    // this one) holds it. The kernel drops the lock when the holder closes it or dies (kill -9
    // included), so nothing needs cleaning up. The lock belongs to the mapped region: a region
    // whose name was removed (and maybe re-created) cannot be written to any more.
    static std::unique_ptr<SaTableWriter> acquire(Region& region, std::string& error);
    ~SaTableWriter();
    SaTableWriter(const SaTableWriter&) = delete;
    SaTableWriter& operator=(const SaTableWriter&) = delete;

    // Publishes an SA in a free slot; returns the slot, or nullopt with `error` (table full,
    // inbound (SPI, destination) already present, window or senders beyond the geometry).
    std::optional<uint32_t> add_sa(const SaSpec& spec, std::string& error);
    // Unpublishes an SA: its SAD entry goes now; policies still pointing at it fall back to
    // "no usable SA" in the dataplane; its slot and key are reclaimed after a grace period.
    bool retire_sa(uint32_t slot);
    // Sets (or replaces) the policy of (group, source prefix); nullopt or length 0 is the
    // group's any-source entry, host bits past the length are ignored. For PROTECT,
    // `outbound_slot` is the SA senders use; replacing it is how senders switch SAs in a
    // rollover. False when the index is full or the length is over 128.
    bool set_policy(const esp::IpAddress& group, const std::optional<esp::SourcePrefix>& source,
                    PolicyAction action, uint32_t outbound_slot = kNoSlot);
    bool remove_policy(const esp::IpAddress& group, const std::optional<esp::SourcePrefix>& source);
    // Every policy entry's (group, source prefix); nullopt = any source.
    struct PolicyKey {
        esp::IpAddress group;
        std::optional<esp::SourcePrefix> source;
    };
    std::vector<PolicyKey> policies();

    // Frees retired slots (zeroing their keys) and removed index entries whose grace period
    // has ended. Never blocks; returns how many were freed.
    uint32_t reclaim();
    // Waits until every online lcore has passed a quiescent point (or the dataplane is gone),
    // then reclaims. False on timeout.
    bool synchronize(std::chrono::milliseconds timeout);

    uint32_t free_slots() const { return static_cast<uint32_t>(free_.size()); }
    uint32_t pending() const { return static_cast<uint32_t>(pending_.size()); }

  private:
    SaTableWriter(Region& region, int lock_fd);
    struct Pending {
        enum class Kind { Slot, SadEntry, SpdEntry } kind;
        uint32_t index;
        std::vector<uint64_t> epochs;  // lcore quiescent counters when it was removed
    };
    static uint64_t nonce_space_hash(uint8_t algorithm, std::span<const uint8_t> key,
                                     const uint8_t* salt, uint16_t sender_id);
    uint64_t slot_nonce_space(uint32_t slot);
    bool active_outbound(uint32_t slot);
    LcoreState& participant(uint32_t i);  // lcores, then the reserver
    std::vector<uint64_t> snapshot();
    bool grace_period_over(const std::vector<uint64_t>& epochs);
    struct SpdProbe {
        SpdEntry* match = nullptr;  // the entry with that key
        SpdEntry* free = nullptr;   // where a new entry would go
    };
    SpdProbe probe_spd(uint32_t kind, const esp::IpAddress& group, const esp::IpAddress& source,
                       uint8_t length);
    SpdEntry* group_record(const esp::IpAddress& group, bool create);
    void remove_spd_entry(SpdEntry& entry);
    void rebuild_spd_bookkeeping();
    void publish();

    Region& region_;
    int lock_fd_;                 // holds the flock while this writer lives
    std::vector<uint32_t> free_;  // free slots, popped from the back
    std::vector<Pending> pending_;
    // Policy entries per group and prefix length: a length's bit in the group record is
    // cleared when its count drops to 0, the record removed when the group has none left.
    std::map<std::array<uint8_t, 16>, std::array<uint32_t, kMaxPrefixLength + 1>> spd_lengths_;
    // Active outbound slots by nonce space (hash), to refuse a second SA in one space.
    std::unordered_multimap<uint64_t, uint32_t> outbound_;
};

class SaTableReader {
  public:
    explicit SaTableReader(Region& region) : region_(region), header_(region.header()) {}

    // The slot of the inbound SA for (SPI, destination), or kNoSlot.
    uint32_t find_inbound(uint32_t spi, const esp::IpAddress& destination) const;
    // The policy of the longest source prefix of `group` that holds `source` (RFC 4301
    // 4.4.1, most specific first); nullopt = no entry (the caller discards). Probes one index
    // entry per prefix length the group uses.
    std::optional<uint64_t> find_policy(const esp::IpAddress& group,
                                        const esp::IpAddress& source) const;
    // The policy of exactly (group, source prefix), nullopt or length 0 = any source.
    std::optional<uint64_t> find_policy_entry(const esp::IpAddress& group,
                                              const std::optional<esp::SourcePrefix>& source) const;

    Region& region() { return region_; }
    void set_online(uint32_t lcore, bool online);
    // Called by an lcore whenever it holds no reference into the tables.
    void quiescent(uint32_t lcore) {
        LcoreState& l = region_.lcore(lcore);
        l.quiescent.store(l.quiescent.load(std::memory_order_relaxed) + 1,
                          std::memory_order_release);
    }

  private:
    const SpdEntry* find_spd(uint32_t kind, const esp::IpAddress& group,
                             const esp::IpAddress& source, uint8_t length) const;
    Region& region_;
    RegionHeader& header_;
};

}  // namespace mcsec::shm
