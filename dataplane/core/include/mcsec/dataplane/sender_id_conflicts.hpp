// Two appliances configured with one sender ID draw the same AES-GCM nonces under a shared key.
// Decap counts, per SA, the authentic packets that carry this appliance's own sender ID
// (InboundSaRuntime::own_sender_id_packets); this watch turns new counts into alarms for the
// dataplane's log, so the conflict is seen with manual keys too (controld alarms on its own SAs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mcsec/shm/region.hpp"

namespace mcsec::dataplane {

struct SenderIdConflict {
    uint32_t spi = 0;
    uint16_t sender_id = 0;
    uint64_t new_packets = 0;  // since the last poll
    // The operator-facing alarm line.
    std::string describe() const;
};

class SenderIdConflictWatch {
  public:
    explicit SenderIdConflictWatch(shm::Region& region);
    // SAs whose count grew since the last poll (the first poll reports what a previous run left
    // unreported as well: counts it never saw).
    std::vector<SenderIdConflict> poll();

  private:
    shm::Region& region_;
    std::vector<uint32_t> version_;  // slot version the count belongs to
    std::vector<uint64_t> seen_;
};

}  // namespace mcsec::dataplane
