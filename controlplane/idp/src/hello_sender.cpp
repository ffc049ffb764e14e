#include "mcsec/control/idp/hello_sender.hpp"

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
    if (now < next_due_) return std::nullopt;
    ++sequence_;
    const Hello hello{signer_.node_id(),
                      black_address_,
                      startup_timestamp_,
                      sequence_,
                      {signer_.credential().begin(), signer_.credential().end()}};
    auto datagram = encode_hello(hello, signer_);
    next_due_ += interval_;
    // Stalled for more than an interval (a suspended process, a busy loop): restart the grid
    // from now instead of catching up with a burst of hellos.
    if (next_due_ <= now) next_due_ = now + interval_;
    return datagram;
}

}  // namespace mcsec::control::idp
