// One lcore's view of the shared-memory SA slots as ESP-core SAs.
//
// The control writer publishes key bytes in a slot; an lcore needs an expanded key schedule
// for its own crypto engine. SaCache builds one the first time the lcore meets a slot (or a
// new version of it: the version changes whenever the slot is reused), and points the SA's
// runtime state (sequence numbers, usage, replay windows) into the slot, so that state is
// shared with every other lcore and survives a dataplane restart. Not thread-safe: one per
// lcore.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "mcsec/crypto/aead.hpp"
#include "mcsec/esp/sad.hpp"
#include "mcsec/esp/security_association.hpp"
#include "mcsec/shm/sa_table.hpp"

namespace mcsec::dataplane {

class SaCache {
  public:
    SaCache(shm::Region& region, crypto::AeadEngine& engine);

    // The SA of an Active slot with that direction, or nullptr.
    esp::OutboundSa* outbound(uint32_t slot);
    esp::InboundSa* inbound(uint32_t slot);

    // Destroys (and so zeroes) the key schedules of slots that were retired or reused since
    // the writer last published a change. Call at a quiescent point: no SA pointer handed
    // out before survives it. Cheap when nothing changed (one load).
    void drop_retired();

    // How many key schedules this lcore has built (a rebuild means it saw a new SA), and how
    // many SAs it dropped because they were retired.
    uint64_t builds() const { return builds_; }
    uint64_t retired_drops() const { return drops_; }

  private:
    struct Entry {
        uint32_t version = 0;
        std::unique_ptr<esp::OutboundSa> outbound;
        std::unique_ptr<esp::InboundSa> inbound;
    };
    Entry* refresh(uint32_t slot);

    shm::Region& region_;
    crypto::AeadEngine& engine_;
    std::vector<Entry> entries_;
    uint64_t builds_ = 0;
    uint64_t drops_ = 0;
    uint64_t seen_generation_ = 0;
};

// The shared-memory SAD as seen by EspDecap.
class ShmInboundLookup final : public esp::InboundSaLookup {
  public:
    ShmInboundLookup(shm::SaTableReader& reader, SaCache& cache) : reader_(reader), cache_(cache) {}
    esp::InboundSa* find(uint32_t spi, const esp::IpAddress& destination) const override {
        const uint32_t slot = reader_.find_inbound(spi, destination);
        return slot == shm::kNoSlot ? nullptr : cache_.inbound(slot);
    }

  private:
    shm::SaTableReader& reader_;
    SaCache& cache_;
};

}  // namespace mcsec::dataplane
