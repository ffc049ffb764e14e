// AES key wrap, the way LKH rekeys carry keys under other keys (docs/protocol/lkh.md): RFC 3394
// for the tree's key-encryption keys (a multiple of 8 bytes, at least 16), RFC 5649 (with
// padding) for the data key, whose AES key || 4-byte salt is 20 or 36 bytes. Both come from
// OpenSSL's EVP wrap ciphers; the key-encryption key is 16, 24 or 32 bytes (AES-128/192/256).
// Both check integrity on unwrap (RFC 3394's IV, RFC 5649's AIV and padding): a wrong or stale
// key-encryption key fails instead of yielding garbage, which is how a receiver notices that it
// missed a rekey.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace mcsec::control::lkh {

inline constexpr std::size_t kWrapOverhead = 8;  // RFC 3394/5649: one 64-bit block more

// RFC 3394: nullopt if `kek` or `plain` has a size the RFC does not allow.
std::optional<std::vector<std::uint8_t>> wrap_key(std::span<const std::uint8_t> kek,
                                                  std::span<const std::uint8_t> plain);
// nullopt if the integrity check fails (wrong key, altered bytes) or a size is not allowed.
// The result holds key material: the caller wipes it.
std::optional<std::vector<std::uint8_t>> unwrap_key(std::span<const std::uint8_t> kek,
                                                    std::span<const std::uint8_t> wrapped);

// RFC 5649: any plain size from 1 byte; the output is the plain size rounded up to 8, plus 8.
std::optional<std::vector<std::uint8_t>> wrap_key_padded(std::span<const std::uint8_t> kek,
                                                         std::span<const std::uint8_t> plain);
std::optional<std::vector<std::uint8_t>> unwrap_key_padded(std::span<const std::uint8_t> kek,
                                                           std::span<const std::uint8_t> wrapped);

constexpr std::size_t padded_wrap_size(std::size_t plain) noexcept {
    return (plain + 7) / 8 * 8 + kWrapOverhead;
}

}  // namespace mcsec::control::lkh
