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
    if (control.direction & shm::kInbound)
        e.inbound = esp::make_inbound_sa(engine_, params, external);
    crypto::secure_zero(key.data(), key.size());
    e.version = version;
    ++builds_;
    return &e;
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
