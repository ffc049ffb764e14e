#include "mcsec/config/secret_bytes.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <ostream>

namespace mcsec::config {

SecretBytes::~SecretBytes() {
    clear();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(other.bytes_), size_(other.size_) {
    other.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        clear();
        bytes_ = other.bytes_;
        size_ = other.size_;
        other.clear();
    }
    return *this;
}

bool SecretBytes::push_back(std::uint8_t byte) noexcept {
    if (size_ == kCapacity) return false;
    bytes_[size_++] = byte;
    return true;
}

void SecretBytes::clear() noexcept {
    // OPENSSL_cleanse, unlike memset, is not removed by the optimiser as a dead store.
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
    size_ = 0;
}

bool SecretBytes::equals(std::span<const std::uint8_t> other) const noexcept {
    if (other.size() != size_) return false;
    return CRYPTO_memcmp(bytes_.data(), other.data(), size_) == 0;
}

std::ostream& operator<<(std::ostream& out, const SecretBytes& secret) {
    return out << "<redacted " << secret.size() << " bytes>";
}

}  // namespace mcsec::config
