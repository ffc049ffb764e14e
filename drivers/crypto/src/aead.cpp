#include "mcsec/crypto/aead.hpp"

#include <openssl/crypto.h>

namespace mcsec::crypto {

std::string_view to_string(AeadAlgorithm algorithm) {
    return algorithm == AeadAlgorithm::AesGcm128 ? "aes-gcm-128" : "aes-gcm-256";
}

std::string_view to_string(Backend backend) {
    return backend == Backend::IpsecMb ? "ipsec-mb" : "openssl";
}

std::unique_ptr<AeadEngine> make_engine(Backend backend) {
    return backend == Backend::IpsecMb ? make_ipsecmb_engine() : make_openssl_engine();
}

bool constant_time_equal(const uint8_t* a, const uint8_t* b, size_t len) {
    return CRYPTO_memcmp(a, b, len) == 0;
}

void secure_zero(void* p, size_t len) {
    OPENSSL_cleanse(p, len);
}

}  // namespace mcsec::crypto
