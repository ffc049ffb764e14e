// HKDF-SHA256 (RFC 5869) through OpenSSL 3's EVP_KDF "HKDF": extract then expand.
#pragma once

#include <cstdint>
#include <span>

#include "mcsec/control/mike/mike_error.hpp"

namespace mcsec::control::mike {

// Fills `out` (1..255*32 bytes) with HKDF-Expand(HKDF-Extract(salt, ikm), info, out.size()).
// An empty salt means HashLen zero bytes, as RFC 5869 section 2.2 specifies.
MikeError hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                      std::span<const std::uint8_t> info, std::span<std::uint8_t> out);

}  // namespace mcsec::control::mike
