// When this node multicasts its hello, and what it says. The daemon asks poll(now) whenever its
// timer fires and sends whatever comes back.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"

namespace mcsec::control::idp {

class HelloSender {
  public:
    // The first hello is due at `start`: a new node announces itself at once. Throws
    // std::invalid_argument for a non-positive interval and std::length_error when the signer's
    // credential leaves no room for a signature in a hello (checked now, not at the first send).
    HelloSender(const MessageAuthenticator& signer, config::IpAddress black_address,
                std::uint64_t startup_timestamp, Duration hello_interval, TimePoint start);

    TimePoint next_due() const noexcept { return next_due_; }

    // The signed hello datagram when one is due at `now`, else nullopt. Hellos are due every
    // hello interval on a fixed grid from `start`; after a stall longer than one interval the
    // grid restarts at `now` rather than sending the missed hellos in a burst.
    std::optional<std::vector<std::uint8_t>> poll(TimePoint now);

    // The sequence number of the last hello sent (0 before the first).
    std::uint64_t last_sequence() const noexcept { return sequence_; }
    std::uint64_t startup_timestamp() const noexcept { return startup_timestamp_; }

  private:
    const MessageAuthenticator& signer_;
    config::IpAddress black_address_;
    std::uint64_t startup_timestamp_;
    Duration interval_;
    TimePoint next_due_;
    std::uint64_t sequence_ = 0;
};

}  // namespace mcsec::control::idp
