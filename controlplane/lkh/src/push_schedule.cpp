// Paced, repeated LKH pushes.
#include "mcsec/control/lkh/push_schedule.hpp"

#include <algorithm>

namespace mcsec::control::lkh {

Duration LinkBudget::air_time(std::size_t payload) const noexcept {
    const std::uint64_t bits = (payload + datagram_overhead) * 8 * 1000;
    const std::uint64_t rate = bits_per_second == 0 ? 1 : bits_per_second;
    return Duration{static_cast<Duration::rep>((bits + rate - 1) / rate)};
}

void PushSchedule::enqueue(std::vector<std::vector<std::uint8_t>> messages, TimePoint now) {
    TimePoint at = std::max(now, link_free_);
    for (auto& message : messages) {
        const Duration air = link_.air_time(message.size());
        for (unsigned copy = 0; copy < copies_; ++copy) {
            queue_.push_back(Due{message, at});
            at += air;
        }
    }
    link_free_ = at;
}

std::vector<std::vector<std::uint8_t>> PushSchedule::poll(TimePoint now) {
    std::vector<std::vector<std::uint8_t>> out;
    while (!queue_.empty() && queue_.front().at <= now) {
        bytes_ += queue_.front().bytes.size();
        ++sent_;
        out.push_back(std::move(queue_.front().bytes));
        queue_.pop_front();
    }
    return out;
}

TimePoint PushSchedule::next_due() const noexcept {
    return queue_.empty() ? TimePoint::max() : queue_.front().at;
}

TimePoint PushSchedule::drained_at(TimePoint now) const noexcept {
    return std::max(now, link_free_);
}

}  // namespace mcsec::control::lkh
