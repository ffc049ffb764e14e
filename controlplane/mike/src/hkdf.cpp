#include "mcsec/control/mike/hkdf.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <memory>

namespace mcsec::control::mike {

namespace {

struct KdfCtxFree {
    void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
};

// Fetching resolves the algorithm in the provider store; doing it once keeps it off the
// per-node path. The reference is held for the life of the process.
EVP_KDF* hkdf_algorithm() {
    static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
    return kdf;
}

// OSSL_PARAM takes non-const pointers for input buffers too; OpenSSL only reads them.
void* as_param(std::span<const std::uint8_t> bytes) {
    return const_cast<std::uint8_t*>(bytes.data());
}

}  // namespace

MikeError hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                      std::span<const std::uint8_t> info, std::span<std::uint8_t> out) {
    constexpr std::size_t kMaxOutput = 255 * 32;  // RFC 5869: L <= 255 * HashLen
    if (out.empty() || out.size() > kMaxOutput) return MikeError::CryptoFailure;
    EVP_KDF* const kdf = hkdf_algorithm();
    if (kdf == nullptr) return MikeError::CryptoFailure;
    std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf));
    if (!ctx) return MikeError::CryptoFailure;

    char digest[] = "SHA256";
    std::array<OSSL_PARAM, 5> params{};
    std::size_t count = 0;
    params[count++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[count++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, as_param(ikm), ikm.size());
    // Absent salt and info are left out: OpenSSL then uses the RFC defaults (zero salt, no info).
    if (!salt.empty()) {
        params[count++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, as_param(salt), salt.size());
    }
    if (!info.empty()) {
        params[count++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, as_param(info), info.size());
    }
    params[count] = OSSL_PARAM_construct_end();

    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) {
        OPENSSL_cleanse(out.data(), out.size());
        return MikeError::CryptoFailure;
    }
    return MikeError::Ok;
}

}  // namespace mcsec::control::mike
