// Builds the RFC 4106 nonce (salt || IV) and AAD (SPI || [seq high] || seq low) for one packet.
//
// Each is composed in registers and written with a single 16-byte store, so the library's wide
// loads of them can always be forwarded from that store (several narrow stores followed by one
// wide load would stall on store-to-load forwarding).
#pragma once

#include <cstdint>
#include <cstring>

namespace mcsec::esp {

__extension__ using U128 = unsigned __int128;

struct alignas(16) GcmInputs {
    uint8_t nonce[16];  // 12 used
    uint8_t aad[16];    // 8 or 12 used
};

// salt: the 4 salt bytes as they lie in memory; iv: the 64-bit IV in host order.
inline void write_nonce(uint8_t* dst, uint32_t salt, uint64_t iv) {
    const U128 whole = U128{salt} | U128{__builtin_bswap64(iv)} << 32;
    std::memcpy(dst, &whole, 16);
}

// Three 32-bit fields in host order, written big-endian: (SPI, seq low) or (SPI, seq high,
// seq low). Unused trailing bytes are zero.
inline void write_aad(uint8_t* dst, uint32_t a, uint32_t b, uint32_t c) {
    const U128 whole = U128{__builtin_bswap32(a)} | U128{__builtin_bswap32(b)} << 32 |
                       U128{__builtin_bswap32(c)} << 64;
    std::memcpy(dst, &whole, 16);
}

inline uint32_t load_salt(const uint8_t* salt) {
    uint32_t s;
    std::memcpy(&s, salt, 4);
    return s;
}

}  // namespace mcsec::esp
