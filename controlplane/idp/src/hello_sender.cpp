#include "mcsec/control/idp/hello_sender.hpp"

#include <algorithm>
#include <stdexcept>

#include "mcsec/control/idp/hello.hpp"

namespace mcsec::control::idp {

HelloSender::HelloSender(const MessageAuthenticator& signer, config::IpAddress black_address,
                         std::uint64_t startup_timestamp, Duration hello_interval, TimePoint start)
    : signer_(signer),
      black_address_(black_address),
      startup_timestamp_(startup_timestamp),
      interval_(hello_interval),
      next_due_(start) {
    if (interval_ <= Duration::zero()) {
        throw std::invalid_argument("IDP hello interval must be positive");
    }
    // Fails now, at start-up, if the credential is too large for any hello to fit.
    const Hello probe{signer_.node_id(),
                      black_address_,
                      startup_timestamp_,
                      0,
                      {signer_.credential().begin(), signer_.credential().end()}};
    (void)encode_hello_unsigned(probe, signer_.max_signature_size());
}

std::optional<std::vector<std::uint8_t>> HelloSender::poll(TimePoint now) {
    const bool on_grid = now >= next_due_;
    if (!on_grid && !(early_due_ && now >= *early_due_)) return std::nullopt;
    ++sequence_;
    const Hello hello{signer_.node_id(),
                      black_address_,
                      startup_timestamp_,
                      sequence_,
                      {signer_.credential().begin(), signer_.credential().end()}};
    auto datagram = encode_hello(hello, signer_);
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
