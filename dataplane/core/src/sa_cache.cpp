#include "mcsec/dataplane/sa_cache.hpp"

namespace mcsec::dataplane {

SaCache::SaCache(shm::Region& region, crypto::AeadEngine& engine)
    : region_(region), engine_(engine), entries_(region.geometry().sa_slots) {}

SaCache::Entry* SaCache::refresh(uint32_t slot) {
    if (slot >= entries_.size()) return nullptr;
    const shm::SaControl& control = region_.control(slot);
    if (control.state.load(std::memory_order_acquire) !=
        static_cast<uint32_t>(shm::SlotState::Active)) {
        return nullptr;
    }
    Entry& e = entries_[slot];
    const uint32_t version = control.version.load(std::memory_order_acquire);
    if (e.version == version) return &e;

    // A new SA in this slot: build this lcore's key schedules. The old ones (if any) are
    // destroyed here, which zeroes them.
    std::array<uint8_t, 32> key{};
    const esp::GroupSaParams params = shm::params_from_control(control, key);
    const esp::ExternalRuntime external{&region_.runtime(slot).outbound,
                                        &region_.runtime(slot).inbound, region_.window_block(slot),
                                        false};
    e.outbound.reset();
    e.inbound.reset();
    if (control.direction & shm::kOutbound)
        e.outbound = esp::make_outbound_sa(engine_, params, external);
    if (control.direction & shm::kInbound) {
        e.inbound = esp::make_inbound_sa(engine_, params, external);
        // Where we also send on the SA, our own sender ID on an inbound packet is a conflict.
        if (e.inbound && (control.direction & shm::kOutbound)) {
            e.inbound->own_sender_id = params.sender_id;
        }
    }
    crypto::secure_zero(key.data(), key.size());
    e.version = version;
    ++builds_;
    return &e;
}

void SaCache::drop_retired() {
    const uint64_t generation = region_.header().generation.load(std::memory_order_acquire);
    if (generation == seen_generation_) return;
    seen_generation_ = generation;
    for (uint32_t slot = 0; slot < entries_.size(); ++slot) {
        Entry& e = entries_[slot];
        if (!e.outbound && !e.inbound) continue;
        const shm::SaControl& control = region_.control(slot);
        const bool current = control.state.load(std::memory_order_acquire) ==
                                 static_cast<uint32_t>(shm::SlotState::Active) &&
                             control.version.load(std::memory_order_acquire) == e.version;
        if (current) continue;
        // Destroying the SAs zeroes their key schedules.
        e.outbound.reset();
        e.inbound.reset();
        e.version = 0;
        ++drops_;
    }
}

esp::OutboundSa* SaCache::outbound(uint32_t slot) {
    Entry* e = refresh(slot);
    return e == nullptr ? nullptr : e->outbound.get();
}

esp::InboundSa* SaCache::inbound(uint32_t slot) {
    Entry* e = refresh(slot);
    return e == nullptr ? nullptr : e->inbound.get();
}

}  // namespace mcsec::dataplane
