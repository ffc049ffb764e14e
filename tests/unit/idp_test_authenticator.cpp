#include "idp_test_authenticator.hpp"

#include <algorithm>
#include <utility>

namespace mcsec::control::idp::test {

TestAuthenticator::TestAuthenticator(NodeId node_id, std::size_t credential_bytes,
                                     std::string deployment_secret)
    : node_id_(std::move(node_id)), secret_(std::move(deployment_secret)) {
    // A credential that names its node, like a certificate's CN.
    for (std::size_t i = 0; i < credential_bytes; ++i) {
        credential_.push_back(static_cast<std::uint8_t>(node_id_[i % node_id_.size()]));
    }
}

std::vector<std::uint8_t> TestAuthenticator::digest(std::string_view signer,
                                                    std::span<const std::uint8_t> message) const {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    const auto mix = [&hash](std::uint8_t byte) {
        hash ^= byte;
        hash *= 0x100000001b3ULL;
    };
    for (const char c : secret_) mix(static_cast<std::uint8_t>(c));
    mix(0);
    for (const char c : signer) mix(static_cast<std::uint8_t>(c));
    mix(0);
    for (const auto byte : message) mix(byte);
    std::vector<std::uint8_t> out(kSignatureBytes);
    for (std::size_t i = 0; i < kSignatureBytes; ++i) {
        out[i] = static_cast<std::uint8_t>(hash >> (8 * i));
    }
    return out;
}

std::vector<std::uint8_t> TestAuthenticator::sign(std::span<const std::uint8_t> message) const {
    return digest(node_id_, message);
}

AuthResult TestAuthenticator::verify(std::string_view claimed_node,
                                     std::span<const std::uint8_t> credential,
                                     std::span<const std::uint8_t> message,
                                     std::span<const std::uint8_t> signature,
                                     std::chrono::system_clock::time_point /*now*/) const {
    ++verifications_;
    if (claimed_node.empty()) return AuthResult::Malformed;
    if (const auto forced = forced_.find(NodeId(claimed_node)); forced != forced_.end()) {
        return forced->second;
    }
    // The credential must name the claimed node, as a certificate's CN must.
    for (std::size_t i = 0; i < credential.size(); ++i) {
        if (credential[i] != static_cast<std::uint8_t>(claimed_node[i % claimed_node.size()])) {
            return AuthResult::IdentityMismatch;
        }
    }
    if (signature.size() != kSignatureBytes) return AuthResult::Malformed;
    const auto expected = digest(claimed_node, message);
    return std::equal(expected.begin(), expected.end(), signature.begin())
               ? AuthResult::Ok
               : AuthResult::BadSignature;
}

}  // namespace mcsec::control::idp::test
