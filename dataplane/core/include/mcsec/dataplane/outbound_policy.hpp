// The outbound SPD stage on the shared-memory tables: for each red packet, the policy of its
// (group, source) and, for PROTECT, the SA to send it with. No policy means DISCARD: the
// appliance fails closed, and plaintext leaves on a black port only through an explicit
// BYPASS entry.
#pragma once

#include "mcsec/dataplane/sa_cache.hpp"
#include "mcsec/esp/drop_reason.hpp"
#include "mcsec/esp/packet_buffer.hpp"
#include "mcsec/shm/sa_table.hpp"

namespace mcsec::dataplane {

struct OutboundVerdict {
    shm::PolicyAction action = shm::PolicyAction::Discard;
    esp::OutboundSa* sa = nullptr;                       // PROTECT
    esp::DropReason reason = esp::DropReason::NoPolicy;  // DISCARD
};

class OutboundPolicy {
  public:
    OutboundPolicy(shm::SaTableReader& reader, SaCache& cache) : reader_(reader), cache_(cache) {}
    // `packet` starts at the inner IP header.
    OutboundVerdict classify(const esp::PacketBuffer& packet);
    // The same for a packet whose header the caller has parsed already.
    OutboundVerdict classify(const esp::IpHeaderInfo& ip);

    // Consecutive packets of a flow reuse the previous lookup until the next burst: call at
    // the start of each burst (the tables may have changed at the quiescent point before it).
    void begin_burst() { memo_valid_ = false; }

  private:
    OutboundVerdict lookup(const esp::IpHeaderInfo& ip);

    shm::SaTableReader& reader_;
    SaCache& cache_;
    bool memo_valid_ = false;
    esp::IpAddress memo_group_, memo_source_;
    OutboundVerdict memo_;
};

}  // namespace mcsec::dataplane
