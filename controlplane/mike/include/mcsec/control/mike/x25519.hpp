// X25519 (RFC 7748) over OpenSSL 3 EVP: key generation, public keys and Diffie-Hellman, with the
// all-zero shared secret of a low-order peer key rejected.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "mcsec/control/mike/mike_error.hpp"
#include "mcsec/control/mike/secret_array.hpp"

namespace mcsec::control::mike {

inline constexpr std::size_t kX25519KeyBytes = 32;

// A public u-coordinate; in the key tree it is a node's blinded key.
using X25519PublicKey = std::array<std::uint8_t, kX25519KeyBytes>;
using X25519SharedSecret = SecretArray<kX25519KeyBytes>;

// A private scalar held inside an EVP_PKEY (OpenSSL wipes it when the key is freed). Move-only:
// a tree member's secret has exactly one owner.
class X25519PrivateKey {
  public:
    // A fresh key from OpenSSL's CSPRNG.
    static Result<X25519PrivateKey> generate();
    // The given 32 bytes as the scalar (clamped by X25519 itself, RFC 7748 section 5).
    static Result<X25519PrivateKey> from_bytes(std::span<const std::uint8_t, kX25519KeyBytes> raw);

    const X25519PublicKey& public_key() const noexcept { return public_key_; }

    // X25519(this, peer) into `shared`; LowOrderPoint when the result would be all zeros.
    MikeError agree(const X25519PublicKey& peer, X25519SharedSecret& shared) const;

    // A second handle on the same key (the EVP_PKEY is reference-counted and never changes), for
    // a member that keeps its path secrets to reuse next epoch. Still wiped when the last handle
    // goes.
    X25519PrivateKey share() const;

    // The raw scalar, for deriving keying material from a tree root.
    MikeError export_secret(SecretArray<kX25519KeyBytes>& out) const;

  private:
    struct PkeyFree {
        void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
    };
    using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

    static Result<X25519PrivateKey> from_pkey(PkeyPtr key);
    explicit X25519PrivateKey(PkeyPtr key, const X25519PublicKey& public_key)
        : key_(std::move(key)), public_key_(public_key) {}

    PkeyPtr key_;
    X25519PublicKey public_key_{};
};

}  // namespace mcsec::control::mike
