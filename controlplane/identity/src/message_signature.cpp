#include "mcsec/control/identity/message_signature.hpp"

#include "mcsec/control/identity/openssl_handles.hpp"

#include <stdexcept>

namespace mcsec::control::identity {
namespace {

// Ed25519 signs the message itself (EVP wants no digest); ECDSA signs its SHA-256.
const EVP_MD* digest_for(const EVP_PKEY& key) {
    return EVP_PKEY_get_base_id(&key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
}

// OpenSSL may reject a null pointer even with length 0.
const unsigned char* data_or_empty(std::span<const std::uint8_t> bytes) {
    static constexpr unsigned char kEmpty = 0;
    return bytes.empty() ? &kEmpty : bytes.data();
}

}  // namespace

std::vector<std::uint8_t> sign_message(EVP_PKEY& private_key,
                                       std::span<const std::uint8_t> message) {
    EvpMdCtxPtr context(EVP_MD_CTX_new());
    std::size_t length = 0;
    if (!context ||
        EVP_DigestSignInit(context.get(), nullptr, digest_for(private_key), nullptr,
                           &private_key) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length, data_or_empty(message), message.size()) !=
            1) {
        throw std::runtime_error("signing failed: " + take_openssl_errors());
    }
    std::vector<std::uint8_t> signature(length);
    if (EVP_DigestSign(context.get(), signature.data(), &length, data_or_empty(message),
                       message.size()) != 1) {
        throw std::runtime_error("signing failed: " + take_openssl_errors());
    }
    signature.resize(length);  // ECDSA's DER encoding is often shorter than the bound
    return signature;
}

bool verify_message(EVP_PKEY& public_key, std::span<const std::uint8_t> message,
                    std::span<const std::uint8_t> signature) {
    EvpMdCtxPtr context(EVP_MD_CTX_new());
    const bool valid = context && !signature.empty() &&
                       EVP_DigestVerifyInit(context.get(), nullptr, digest_for(public_key), nullptr,
                                            &public_key) == 1 &&
                       EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                                        data_or_empty(message), message.size()) == 1;
    // A forged signature leaves decoding errors in the queue; they are not ours to report.
    take_openssl_errors();
    return valid;
}

std::size_t max_signature_size(const EVP_PKEY& key) noexcept {
    const int size = EVP_PKEY_get_size(&key);
    return size > 0 ? static_cast<std::size_t>(size) : 0;
}

}  // namespace mcsec::control::identity
