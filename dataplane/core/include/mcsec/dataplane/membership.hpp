// Which red ports have hosts that joined which groups (from snooped IGMP/MLD), so decapsulated
// traffic goes only where it is wanted. Lock-free: any lcore may record a change while others
// read; entries are never removed, a leave clears the entry's flag.
//
// A red port that has never carried an IGMP/MLD message gets every group, as a switch without
// snooping state floods: static receivers and replayed captures keep working; filtering starts
// with the port's first report. Once the dataplane's querier has queried a port, a membership
// there lapses when its hosts stay silent for the membership interval (RFC 3376 8.4: 2 query
// intervals + the response time), so a host that vanished without leaving stops receiving.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "mcsec/esp/ip_header.hpp"

namespace mcsec::dataplane {

class MembershipTable {
  public:
    // `membership_interval_s` 0: memberships never lapse.
    explicit MembershipTable(uint32_t capacity = 4096, uint32_t membership_interval_s = 0);

    // Records a join or leave of `group` on red port `port` (an index < 64) at `now_s`
    // (monotonic seconds): a join (or a report of current state) also refreshes it.
    void record(uint32_t port, const esp::IpAddress& group, bool joined, uint64_t now_s = 0);
    // The querier has sent a general query on `port`: from now on its memberships can lapse.
    void queried(uint32_t port);
    // True if a host on `port` is in `group` (and reported within the membership interval, on
    // a queried port), or `port` never reported anything. When the table overflowed, every
    // port is treated as subscribed (delivery rather than loss).
    bool subscribed(uint32_t port, const esp::IpAddress& group, uint64_t now_s = 0) const;
    bool overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

  private:
    struct Entry {
        std::atomic<uint32_t> state{0};  // 0 empty, 1 being written, 2 ready
        esp::IpAddress group;
        std::atomic<uint64_t> ports{0};           // bit per red port
        std::atomic<uint32_t> last_report[64]{};  // monotonic seconds, per red port
    };
    Entry* find(const esp::IpAddress& group) const;

    std::unique_ptr<Entry[]> entries_;
    uint32_t mask_;
    std::atomic<bool> overflowed_{false};
    std::atomic<uint64_t> snooped_ports_{0};  // ports that have carried a report
    std::atomic<uint64_t> queried_ports_{0};  // ports the querier runs on
    uint32_t membership_interval_s_;
};

}  // namespace mcsec::dataplane
