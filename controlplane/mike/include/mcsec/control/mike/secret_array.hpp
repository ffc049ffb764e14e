// A fixed-size buffer for secret bytes (shared secrets, derived node secrets) that is wiped
// when it goes out of scope, cannot be copied by accident and never prints its contents.
#pragma once

#include <openssl/crypto.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace mcsec::control::mike {

template <std::size_t N>
class SecretArray {
  public:
    SecretArray() noexcept = default;
    ~SecretArray() { wipe(); }

    SecretArray(const SecretArray&) = delete;
    SecretArray& operator=(const SecretArray&) = delete;
    SecretArray(SecretArray&&) = delete;
    SecretArray& operator=(SecretArray&&) = delete;

    static constexpr std::size_t size() noexcept { return N; }
    std::span<std::uint8_t, N> writable() noexcept { return bytes_; }
    std::span<const std::uint8_t, N> view() const noexcept { return bytes_; }

    bool is_all_zero() const noexcept {
        // Accumulate instead of returning early so the time does not depend on the contents.
        std::uint8_t any = 0;
        for (const std::uint8_t byte : bytes_) any = static_cast<std::uint8_t>(any | byte);
        return any == 0;
    }

    // OPENSSL_cleanse, unlike memset, is not removed by the optimiser as a dead store.
    void wipe() noexcept { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

  private:
    std::array<std::uint8_t, N> bytes_{};
};

}  // namespace mcsec::control::mike
