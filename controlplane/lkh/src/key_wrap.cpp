// AES key wrap through OpenSSL's EVP wrap ciphers (RFC 3394 and RFC 5649).
#include "mcsec/control/lkh/key_wrap.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace mcsec::control::lkh {

namespace {

const EVP_CIPHER* wrap_cipher(std::size_t kek_bytes, bool padded) {
    switch (kek_bytes) {
        case 16:
            return padded ? EVP_aes_128_wrap_pad() : EVP_aes_128_wrap();
        case 24:
            return padded ? EVP_aes_192_wrap_pad() : EVP_aes_192_wrap();
        case 32:
            return padded ? EVP_aes_256_wrap_pad() : EVP_aes_256_wrap();
        default:
            return nullptr;
    }
}

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

std::optional<std::vector<std::uint8_t>> run(std::span<const std::uint8_t> kek,
                                             std::span<const std::uint8_t> in, bool padded,
                                             bool encrypt) {
    const EVP_CIPHER* cipher = wrap_cipher(kek.size(), padded);
    if (cipher == nullptr || in.empty() || in.size() > 4096) return std::nullopt;
    if (!padded && (in.size() % 8 != 0 || in.size() < (encrypt ? 16u : 24u))) return std::nullopt;
    if (padded && !encrypt && (in.size() % 8 != 0 || in.size() < 16)) return std::nullopt;
    std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return std::nullopt;
    // Wrap modes are refused by EVP unless asked for explicitly (they are not general ciphers).
    EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, kek.data(), nullptr, encrypt ? 1 : 0) != 1) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out(in.size() + 16);
    int written = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) !=
            1 ||
        written < 0) {
        OPENSSL_cleanse(out.data(), out.size());
        return std::nullopt;
    }
    int final_bytes = 0;
    if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &final_bytes) != 1) {
        OPENSSL_cleanse(out.data(), out.size());
        return std::nullopt;
    }
    const auto size = static_cast<std::size_t>(written + final_bytes);
    OPENSSL_cleanse(out.data() + size, out.size() - size);
    out.resize(size);
    return out;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> wrap_key(std::span<const std::uint8_t> kek,
                                                  std::span<const std::uint8_t> plain) {
    return run(kek, plain, false, true);
}

std::optional<std::vector<std::uint8_t>> unwrap_key(std::span<const std::uint8_t> kek,
                                                    std::span<const std::uint8_t> wrapped) {
    return run(kek, wrapped, false, false);
}

std::optional<std::vector<std::uint8_t>> wrap_key_padded(std::span<const std::uint8_t> kek,
                                                         std::span<const std::uint8_t> plain) {
    return run(kek, plain, true, true);
}

std::optional<std::vector<std::uint8_t>> unwrap_key_padded(std::span<const std::uint8_t> kek,
                                                           std::span<const std::uint8_t> wrapped) {
    return run(kek, wrapped, true, false);
}

}  // namespace mcsec::control::lkh
