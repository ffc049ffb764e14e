// Seed to key and seed to parent seed: HMAC-SHA256 with fixed labels.
#include "mcsec/control/lkh/seed_chain.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string_view>

namespace mcsec::control::lkh {

namespace {

bool derive(std::span<const std::uint8_t> seed, std::string_view label,
            std::span<std::uint8_t> out) noexcept {
    if (seed.size() != kSeedBytes || out.size() != kSeedBytes) return false;
    unsigned int length = 0;
    const auto* result = HMAC(EVP_sha256(), seed.data(), static_cast<int>(seed.size()),
                              reinterpret_cast<const unsigned char*>(label.data()), label.size(),
                              out.data(), &length);
    return result != nullptr && length == kSeedBytes;
}

}  // namespace

bool key_from_seed(std::span<const std::uint8_t> seed, std::span<std::uint8_t> key) noexcept {
    return derive(seed, "mcsec lkh node key", key);
}

bool parent_seed(std::span<const std::uint8_t> seed, std::span<std::uint8_t> parent) noexcept {
    return derive(seed, "mcsec lkh parent seed", parent);
}

}  // namespace mcsec::control::lkh
