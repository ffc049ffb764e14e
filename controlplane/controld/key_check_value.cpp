#include "key_check_value.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <string_view>

namespace mcsec::control {

std::string key_check_value(std::span<const std::uint8_t> key) {
    static constexpr std::string_view kLabel = "mcsec key check value";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, kLabel.data(), kLabel.size()) == 1 &&
                    EVP_DigestUpdate(ctx, key.data(), key.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, digest, &length) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return "??????";
    char text[7];
    std::snprintf(text, sizeof text, "%02x%02x%02x", digest[0], digest[1], digest[2]);
    return text;
}

}  // namespace mcsec::control
