#include "mcsec/control/identity/psk_authenticator.hpp"

#include "mcsec/control/identity/openssl_handles.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace mcsec::control::identity {
namespace {

std::array<std::uint8_t, kPskMacSize> mac_of(const config::SecretBytes& key,
                                             std::span<const std::uint8_t> message) {
    static constexpr unsigned char kEmpty = 0;
    std::array<std::uint8_t, kPskMacSize> mac{};
    unsigned int length = 0;
    const auto key_bytes = key.view();
    if (HMAC(EVP_sha256(), key_bytes.data(), static_cast<int>(key_bytes.size()),
             message.empty() ? &kEmpty : message.data(), message.size(), mac.data(),
             &length) == nullptr ||
        length != mac.size()) {
        throw std::runtime_error("HMAC-SHA256 failed: " + take_openssl_errors());
    }
    return mac;
}

}  // namespace

PskAuthenticator::PskAuthenticator(NodeId node_id, config::SecretBytes key)
    : node_id_(std::move(node_id)), key_(std::move(key)) {}

std::vector<std::uint8_t> PskAuthenticator::sign(std::span<const std::uint8_t> message) const {
    const auto mac = mac_of(key_, message);
    return {mac.begin(), mac.end()};
}

AuthResult PskAuthenticator::verify(std::string_view /*claimed_node*/,
                                    std::span<const std::uint8_t> credential,
                                    std::span<const std::uint8_t> message,
                                    std::span<const std::uint8_t> signature,
                                    std::chrono::system_clock::time_point /*now*/) const {
    if (!credential.empty()) return AuthResult::UntrustedCredential;
    if (signature.size() != kPskMacSize) return AuthResult::Malformed;
    const auto expected = mac_of(key_, message);
    // Constant time: timing must not tell a forger how many leading bytes were right.
    return CRYPTO_memcmp(expected.data(), signature.data(), kPskMacSize) == 0
               ? AuthResult::Ok
               : AuthResult::BadSignature;
}

}  // namespace mcsec::control::identity
