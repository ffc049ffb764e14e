// Signs control messages with this appliance's certificate key and checks peers' messages
// against their certificates, which must chain to the deployment CA.
#pragma once

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/failed_verification_cache.hpp"
#include "mcsec/control/identity/verified_certificate_cache.hpp"
#include "mcsec/control/identity/x509_credentials.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace mcsec::control::identity {

class X509Authenticator final : public MessageAuthenticator {
  public:
    explicit X509Authenticator(std::shared_ptr<const X509Credentials> credentials);

    const NodeId& node_id() const noexcept override;
    std::span<const std::uint8_t> credential() const noexcept override;
    std::size_t max_signature_size() const noexcept override;
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t> message) const override;
    AuthResult verify(std::string_view claimed_node, std::span<const std::uint8_t> credential,
                      std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature,
                      std::chrono::system_clock::time_point now) const override;

    // How often verify() ran a full chain verification, and how often the cache spared it.
    std::uint64_t chain_verifications() const noexcept { return chain_verifications_; }
    std::uint64_t cache_hits() const noexcept { return cache_hits_; }
    // How often a credential that failed its checks before was refused without checking again.
    std::uint64_t failed_credential_hits() const { return failed_credentials_.hits(); }

  private:
    // Parses and chain-verifies `credential`; on success fills `out` (and the cache).
    AuthResult verify_credential(std::span<const std::uint8_t> credential,
                                 std::chrono::system_clock::time_point now,
                                 std::shared_ptr<const VerifiedCertificate>& out) const;

    std::shared_ptr<const X509Credentials> credentials_;
    mutable VerifiedCertificateCache cache_;
    // Credentials that failed (untrusted, expired, malformed), by the SHA-256 of their bytes: a
    // flood carrying a stranger's certificate costs one chain verification per expiry, not one
    // per datagram. Bounded and expiring, since here the attacker chooses the keys.
    mutable FailedVerificationCache failed_credentials_;
    mutable std::atomic<std::uint64_t> chain_verifications_{0};
    mutable std::atomic<std::uint64_t> cache_hits_{0};
};

}  // namespace mcsec::control::identity
