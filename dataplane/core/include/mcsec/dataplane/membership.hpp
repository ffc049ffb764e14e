// Which red ports have hosts that joined which groups (from snooped IGMP/MLD), so decapsulated
// traffic goes only where it is wanted. Lock-free: any lcore may record a change while others
// read; entries are never removed, a leave clears the entry's flag.
//
// No querier yet: a membership lasts until the host leaves. A host that vanishes without
// leaving keeps receiving (over-delivery on the trusted red side, never to black).
// A red port that has never carried an IGMP/MLD message gets every group, as a switch without
// snooping state floods: static receivers and replayed captures keep working; filtering starts
// with the port's first report.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "mcsec/esp/ip_header.hpp"

namespace mcsec::dataplane {

class MembershipTable {
  public:
    explicit MembershipTable(uint32_t capacity = 4096);

    // Records a join or leave of `group` on red port `port` (an index < 64).
    void record(uint32_t port, const esp::IpAddress& group, bool joined);
    // True if a host on `port` is in `group`, or `port` never reported anything. When the
    // table overflowed, every port is treated as subscribed (delivery rather than loss).
    bool subscribed(uint32_t port, const esp::IpAddress& group) const;
    bool overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

  private:
    struct Entry {
        std::atomic<uint32_t> state{0};  // 0 empty, 1 being written, 2 ready
        esp::IpAddress group;
        std::atomic<uint64_t> ports{0};  // bit per red port
    };
    Entry* find(const esp::IpAddress& group) const;

    std::unique_ptr<Entry[]> entries_;
    uint32_t mask_;
    std::atomic<bool> overflowed_{false};
    std::atomic<uint64_t> snooped_ports_{0};  // ports that have carried a report
};

}  // namespace mcsec::dataplane
