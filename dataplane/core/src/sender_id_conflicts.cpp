#include "mcsec/dataplane/sender_id_conflicts.hpp"

#include <atomic>
#include <cstdio>

namespace mcsec::dataplane {

std::string SenderIdConflict::describe() const {
    char text[320];
    std::snprintf(text, sizeof text,
                  "ALARM own_sender_id: %lu authentic packet(s) on SA spi 0x%08x carried this "
                  "appliance's sender ID %u: another appliance sends with the same sender_id "
                  "under this key (AES-GCM nonce reuse); give each box its own instance.sender_id "
                  "and replace the key",
                  static_cast<unsigned long>(new_packets), spi, sender_id);
    return text;
}

SenderIdConflictWatch::SenderIdConflictWatch(shm::Region& region)
    : region_(region),
      version_(region.geometry().sa_slots, 0),
      seen_(region.geometry().sa_slots, 0) {}

std::vector<SenderIdConflict> SenderIdConflictWatch::poll() {
    std::vector<SenderIdConflict> found;
    for (uint32_t slot = 0; slot < seen_.size(); ++slot) {
        const shm::SaControl& c = region_.control(slot);
        if (c.state.load(std::memory_order_acquire) !=
            static_cast<uint32_t>(shm::SlotState::Active)) {
            continue;
        }
        const uint32_t version = c.version.load(std::memory_order_acquire);
        if (version != version_[slot]) {  // a new SA in the slot: its count starts at zero
            version_[slot] = version;
            seen_[slot] = 0;
        }
        const uint64_t count =
            std::atomic_ref<const uint64_t>(region_.runtime(slot).inbound.own_sender_id_packets)
                .load(std::memory_order_relaxed);
        if (count > seen_[slot]) {
            found.push_back({c.spi, c.sender_id, count - seen_[slot]});
            seen_[slot] = count;
        }
    }
    return found;
}

}  // namespace mcsec::dataplane
