// A MessageAuthenticator around another that remembers which (claimed node, credential, signed
// bytes, signature) did not verify, and answers a repeat with the remembered AuthResult. Forged
// datagrams replayed at line rate then cost a SHA-256 each instead of a signature verification
// (MIKE records a message in its replay window only after it verified, so the same forged bytes
// would otherwise be verified again every time they arrive).
//
// Signing, the node id and the credential are the inner authenticator's.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/failed_verification_cache.hpp"

namespace mcsec::control::identity {

class FailureCachingAuthenticator final : public MessageAuthenticator {
  public:
    using Clock = FailedVerificationCache::Clock;
    using ClockFunction = std::function<Clock::time_point()>;

    // `clock` decides when entries expire; the steady clock unless a test simulates one.
    explicit FailureCachingAuthenticator(
        std::unique_ptr<MessageAuthenticator> inner,
        std::size_t capacity = FailedVerificationCache::kDefaultCapacity,
        Clock::duration lifetime = FailedVerificationCache::kDefaultLifetime,
        ClockFunction clock = Clock::now);

    const NodeId& node_id() const noexcept override { return inner_->node_id(); }
    std::span<const std::uint8_t> credential() const noexcept override {
        return inner_->credential();
    }
    std::size_t max_signature_size() const noexcept override {
        return inner_->max_signature_size();
    }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t> message) const override {
        return inner_->sign(message);
    }
    AuthResult verify(std::string_view claimed_node, std::span<const std::uint8_t> credential,
                      std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature,
                      std::chrono::system_clock::time_point now) const override;

    const MessageAuthenticator& inner() const noexcept { return *inner_; }
    const FailedVerificationCache& cache() const noexcept { return cache_; }

  private:
    std::unique_ptr<MessageAuthenticator> inner_;
    ClockFunction clock_;
    mutable FailedVerificationCache cache_;
};

}  // namespace mcsec::control::identity
