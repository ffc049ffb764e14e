#include "mcsec/control/idp/hello_sender.hpp"

#include <algorithm>
#include <stdexcept>

#include "mcsec/control/idp/hello.hpp"

namespace mcsec::control::idp {

HelloSender::HelloSender(const MessageAuthenticator& signer, config::IpAddress black_address,
                         std::uint64_t startup_timestamp, Duration hello_interval, TimePoint start,
                         std::vector<std::string> groups)
    : signer_(signer),
      black_address_(black_address),
      startup_timestamp_(startup_timestamp),
      groups_(std::move(groups)),
      interval_(hello_interval),
      next_due_(start) {
    if (interval_ <= Duration::zero()) {
        throw std::invalid_argument("IDP hello interval must be positive");
    }
    std::sort(groups_.begin(), groups_.end());
    groups_.erase(std::unique(groups_.begin(), groups_.end()), groups_.end());
    // Fails now, at start-up, if the groups and credential are too large for any hello to fit.
    (void)encode_hello_unsigned(hello(0), signer_.max_signature_size());
}

Hello HelloSender::hello(std::uint64_t sequence) const {
    return Hello{signer_.node_id(),
                 black_address_,
                 startup_timestamp_,
                 sequence,
                 groups_,
                 {signer_.credential().begin(), signer_.credential().end()}};
}

std::optional<std::vector<std::uint8_t>> HelloSender::poll(TimePoint now) {
    const bool on_grid = now >= next_due_;
    if (!on_grid && !(early_due_ && now >= *early_due_)) return std::nullopt;
    ++sequence_;
    auto datagram = encode_hello(hello(sequence_), signer_);
    // Whichever hello goes out tells the new peer what an early one would have.
    early_due_.reset();
    if (!on_grid) {
        last_early_ = now;
        return datagram;
    }
    next_due_ += interval_;
    // Stalled for more than an interval (a suspended process, a busy loop): restart the grid
    // from now instead of catching up with a burst of hellos.
    if (next_due_ <= now) next_due_ = now + interval_;
    return datagram;
}

void HelloSender::send_soon(TimePoint now) {
    TimePoint at = now;
    if (last_early_) at = std::max(at, *last_early_ + interval_ / kEarlyHellosPerInterval);
    if (at >= next_due_) return;  // the grid's hello comes first anyway
    if (!early_due_ || at < *early_due_) early_due_ = at;
}

}  // namespace mcsec::control::idp
