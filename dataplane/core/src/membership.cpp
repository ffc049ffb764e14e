#include "mcsec/dataplane/membership.hpp"

#include <bit>

namespace mcsec::dataplane {

namespace {
uint32_t hash(const esp::IpAddress& g) {
    return static_cast<uint32_t>(
        ((g.low_half() ^ (g.high_half() * 0x9e3779b97f4a7c15ULL)) * 0x9e3779b97f4a7c15ULL) >> 32);
}
}  // namespace

MembershipTable::MembershipTable(uint32_t capacity, uint32_t membership_interval_s)
    : entries_(new Entry[std::bit_ceil(std::max<uint32_t>(capacity, 2) * 2)]),
      mask_(std::bit_ceil(std::max<uint32_t>(capacity, 2) * 2) - 1),
      membership_interval_s_(membership_interval_s) {}

void MembershipTable::queried(uint32_t port) {
    if (port < 64 && membership_interval_s_ > 0) {
        queried_ports_.fetch_or(uint64_t{1} << port, std::memory_order_relaxed);
    }
}

MembershipTable::Entry* MembershipTable::find(const esp::IpAddress& group) const {
    for (uint32_t i = hash(group) & mask_, n = 0; n <= mask_; i = (i + 1) & mask_, ++n) {
        Entry& e = entries_[i];
        const uint32_t state = e.state.load(std::memory_order_acquire);
        if (state == 0) return nullptr;
        if (state == 2 && e.group == group) return &e;
    }
    return nullptr;
}

void MembershipTable::record(uint32_t port, const esp::IpAddress& group, bool joined,
                             uint64_t now_s) {
    if (port >= 64) return;
    const uint64_t bit = uint64_t{1} << port;
    snooped_ports_.fetch_or(bit, std::memory_order_relaxed);
    for (uint32_t i = hash(group) & mask_, n = 0; n <= mask_; i = (i + 1) & mask_, ++n) {
        Entry& e = entries_[i];
        uint32_t state = e.state.load(std::memory_order_acquire);
        if (state == 0) {
            if (!joined) return;  // nothing to leave
            if (e.state.compare_exchange_strong(state, 1, std::memory_order_acq_rel)) {
                e.group = group;
                e.last_report[port].store(static_cast<uint32_t>(now_s), std::memory_order_relaxed);
                e.ports.store(bit, std::memory_order_relaxed);
                e.state.store(2, std::memory_order_release);
                return;
            }
        }
        while (state == 1) state = e.state.load(std::memory_order_acquire);  // another lcore
        if (state == 2 && e.group == group) {
            if (joined) {
                e.last_report[port].store(static_cast<uint32_t>(now_s), std::memory_order_relaxed);
                e.ports.fetch_or(bit, std::memory_order_relaxed);
            } else {
                e.ports.fetch_and(~bit, std::memory_order_relaxed);
            }
            return;
        }
    }
    overflowed_.store(true, std::memory_order_relaxed);
}

bool MembershipTable::subscribed(uint32_t port, const esp::IpAddress& group, uint64_t now_s) const {
    if (overflowed() || port >= 64) return true;
    if ((snooped_ports_.load(std::memory_order_relaxed) >> port & 1u) == 0) return true;
    const Entry* e = find(group);
    if (e == nullptr || (e->ports.load(std::memory_order_relaxed) >> port & 1u) == 0) return false;
    if ((queried_ports_.load(std::memory_order_relaxed) >> port & 1u) == 0) return true;
    const uint32_t last = e->last_report[port].load(std::memory_order_relaxed);
    return now_s <= uint64_t{last} + membership_interval_s_;
}

}  // namespace mcsec::dataplane
