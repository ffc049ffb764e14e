// Signing and checking one control message with a certificate key: Ed25519 (pure, no prehash)
// or ECDSA P-256 with SHA-256 (DER-encoded signature).
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mcsec::control::identity {

// Throws std::runtime_error if OpenSSL fails (never with a valid key).
std::vector<std::uint8_t> sign_message(EVP_PKEY& private_key,
                                       std::span<const std::uint8_t> message);

// True only for a valid signature; a signature that does not even parse is simply false.
bool verify_message(EVP_PKEY& public_key, std::span<const std::uint8_t> message,
                    std::span<const std::uint8_t> signature);

// 64 for Ed25519, 72 for ECDSA P-256 (DER worst case).
std::size_t max_signature_size(const EVP_PKEY& key) noexcept;

}  // namespace mcsec::control::identity
