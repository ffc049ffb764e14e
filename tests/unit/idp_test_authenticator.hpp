// A MessageAuthenticator for the IDP tests: no OpenSSL, deterministic, and easy to make fail.
// The "signature" is an FNV-1a digest of a deployment secret, the signer's id and the message, so
// a changed byte, another claimed node or another deployment's signer all fail to verify.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mcsec/control/authenticator.hpp"

namespace mcsec::control::idp::test {

class TestAuthenticator final : public MessageAuthenticator {
  public:
    explicit TestAuthenticator(NodeId node_id, std::size_t credential_bytes = 16,
                               std::string deployment_secret = "deployment-1");

    const NodeId& node_id() const noexcept override { return node_id_; }
    std::span<const std::uint8_t> credential() const noexcept override { return credential_; }
    std::size_t max_signature_size() const noexcept override { return kSignatureBytes; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t> message) const override;
    AuthResult verify(std::string_view claimed_node, std::span<const std::uint8_t> credential,
                      std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature,
                      std::chrono::system_clock::time_point now) const override;

    // Makes verify() answer `result` for messages claiming `node` (e.g. an expired certificate),
    // before looking at the signature.
    void force_result(const NodeId& node, AuthResult result) { forced_[node] = result; }
    // How many signatures verify() has checked: the table must not verify what it refuses early.
    int verifications() const noexcept { return verifications_; }

    static constexpr std::size_t kSignatureBytes = 8;

  private:
    std::vector<std::uint8_t> digest(std::string_view signer,
                                     std::span<const std::uint8_t> message) const;

    NodeId node_id_;
    std::vector<std::uint8_t> credential_;
    std::string secret_;
    std::map<NodeId, AuthResult> forced_;
    mutable int verifications_ = 0;
};

}  // namespace mcsec::control::idp::test
