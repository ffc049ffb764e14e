#include "mcsec/control/mike/x25519.hpp"

#include <openssl/err.h>

namespace mcsec::control::mike {

namespace {

struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

}  // namespace

Result<X25519PrivateKey> X25519PrivateKey::from_pkey(PkeyPtr key) {
    if (!key) return MikeError::CryptoFailure;
    X25519PublicKey public_key{};
    std::size_t length = public_key.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), public_key.data(), &length) != 1 ||
        length != public_key.size()) {
        return MikeError::CryptoFailure;
    }
    return X25519PrivateKey(std::move(key), public_key);
}

Result<X25519PrivateKey> X25519PrivateKey::generate() {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return MikeError::CryptoFailure;
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) return MikeError::CryptoFailure;
    return from_pkey(PkeyPtr(raw));
}

Result<X25519PrivateKey> X25519PrivateKey::from_bytes(
    std::span<const std::uint8_t, kX25519KeyBytes> raw) {
    // OpenSSL copies the scalar into the key (and computes the public key from it right away).
    return from_pkey(
        PkeyPtr(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, raw.data(), raw.size())));
}

X25519PrivateKey X25519PrivateKey::share() const {
    EVP_PKEY_up_ref(key_.get());
    return X25519PrivateKey(PkeyPtr(key_.get()), public_key_);
}

MikeError X25519PrivateKey::agree(const X25519PublicKey& peer, X25519SharedSecret& shared) const {
    PkeyPtr peer_key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()));
    if (!peer_key) return MikeError::CryptoFailure;
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer_key.get()) != 1) {
        return MikeError::CryptoFailure;
    }
    std::size_t length = shared.size();
    if (EVP_PKEY_derive(ctx.get(), shared.writable().data(), &length) != 1) {
        // With valid keys already loaded, OpenSSL's X25519 derive fails only when the result is
        // all zeros (RFC 7748 section 6.1's check, done inside ossl_x25519): a low-order peer.
        // Drop the queued error so it does not surface in an unrelated later OpenSSL call.
        ERR_clear_error();
        shared.wipe();
        return MikeError::LowOrderPoint;
    }
    // Checked here too, so a provider that does not refuse the zero secret is still caught.
    if (length != shared.size() || shared.is_all_zero()) {
        shared.wipe();
        return MikeError::LowOrderPoint;
    }
    return MikeError::Ok;
}

MikeError X25519PrivateKey::export_secret(SecretArray<kX25519KeyBytes>& out) const {
    std::size_t length = out.size();
    if (EVP_PKEY_get_raw_private_key(key_.get(), out.writable().data(), &length) != 1 ||
        length != out.size()) {
        out.wipe();
        return MikeError::CryptoFailure;
    }
    return MikeError::Ok;
}

}  // namespace mcsec::control::mike
