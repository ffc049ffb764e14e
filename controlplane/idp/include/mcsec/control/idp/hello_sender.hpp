// When this node multicasts its hello, and what it says. The daemon asks poll(now) whenever its
// timer fires and sends whatever comes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/timing.hpp"

namespace mcsec::control::idp {

class HelloSender {
  public:
    // The first hello is due at `start`: a new node announces itself at once. Throws
    // std::invalid_argument for a non-positive interval and std::length_error when the signer's
    // credential leaves no room for a signature in a hello (checked now, not at the first send).
    // `groups`: the protected groups this node serves, announced in every hello (any order;
    // sent sorted and unique).
    HelloSender(const MessageAuthenticator& signer, config::IpAddress black_address,
                std::uint64_t startup_timestamp, Duration hello_interval, TimePoint start,
                std::vector<std::string> groups = {});

    // Early hellos asked for by send_soon() are at least this many per interval apart.
    static constexpr int kEarlyHellosPerInterval = 4;

    // When poll() has a hello to send next: the grid's next slot, or an earlier one send_soon()
    // asked for.
    TimePoint next_due() const noexcept { return early_due_ ? *early_due_ : next_due_; }

    // The signed hello datagram when one is due at `now`, else nullopt. Hellos are due every
    // hello interval on a fixed grid from `start`; after a stall longer than one interval the
    // grid restarts at `now` rather than sending the missed hellos in a burst.
    std::optional<std::vector<std::uint8_t>> poll(TimePoint now);

    // A peer just appeared (JOIN, RESTORE): it may have started right after our last hello and
    // would otherwise learn of us only at our next slot, up to an interval later, which delays
    // everything it does with us (keying waits for discovery). Makes one extra hello due at
    // `now`, off the grid, which stays where it is. Rate-limited so a flood of joins cannot
    // multiply the hello rate: an early hello comes at least interval / kEarlyHellosPerInterval
    // after the previous early one (a request within that spacing is deferred to its end, not
    // dropped), and none when the grid's own hello is due first.
    void send_soon(TimePoint now);

    // The sequence number of the last hello sent (0 before the first).
    std::uint64_t last_sequence() const noexcept { return sequence_; }
    std::uint64_t startup_timestamp() const noexcept { return startup_timestamp_; }

  private:
    Hello hello(std::uint64_t sequence) const;

    const MessageAuthenticator& signer_;
    config::IpAddress black_address_;
    std::uint64_t startup_timestamp_;
    std::vector<std::string> groups_;
    Duration interval_;
    TimePoint next_due_;                   // the grid's next slot
    std::optional<TimePoint> early_due_;   // an extra hello asked for by send_soon()
    std::optional<TimePoint> last_early_;  // when the last extra hello went out
    std::uint64_t sequence_ = 0;
};

}  // namespace mcsec::control::idp
