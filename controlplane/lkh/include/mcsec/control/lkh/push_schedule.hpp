// When each LKH datagram leaves (docs/protocol/lkh.md, "Push schedule"): every message is sent
// as `copies` identical datagrams back to back (a receiver takes the first it hears, the rest
// are replays), paced to the narrowest receiver link so a 9.6 kbit/s radio hop is never handed
// more than it can carry. Messages of one flush go in order, each with its copies, so a receiver
// never hears a later part before every copy of an earlier one has been sent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace mcsec::control::lkh {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::milliseconds;

struct LinkBudget {
    std::uint32_t bits_per_second = 9600;  // the narrowest receiver link (config)
    std::size_t datagram_overhead = 28;    // IPv4 + UDP headers, bytes
    // Time one datagram of `payload` bytes occupies the link, rounded up to a millisecond.
    Duration air_time(std::size_t payload) const noexcept;
};

class PushSchedule {
  public:
    PushSchedule(LinkBudget link, unsigned copies)
        : link_(link), copies_(copies < 1 ? 1 : copies) {}

    // Queues `messages` (one flush or State, in order); each goes out `copies` times.
    void enqueue(std::vector<std::vector<std::uint8_t>> messages, TimePoint now);
    // The datagrams due by `now`, each at most once.
    std::vector<std::vector<std::uint8_t>> poll(TimePoint now);
    // When poll() has the next datagram; TimePoint::max() when nothing is queued.
    TimePoint next_due() const noexcept;
    // When the last queued copy will have left the link (now, if nothing is queued).
    TimePoint drained_at(TimePoint now) const noexcept;
    const LinkBudget& link() const noexcept { return link_; }
    unsigned copies() const noexcept { return copies_; }
    std::uint64_t datagrams_sent() const noexcept { return sent_; }
    std::uint64_t bytes_sent() const noexcept { return bytes_; }

  private:
    struct Due {
        std::vector<std::uint8_t> bytes;
        TimePoint at;
    };
    LinkBudget link_;
    unsigned copies_;
    std::deque<Due> queue_;
    TimePoint link_free_{};  // when the link has carried everything handed to it so far
    std::uint64_t sent_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace mcsec::control::lkh
