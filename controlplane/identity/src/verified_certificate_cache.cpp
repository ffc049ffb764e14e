#include "mcsec/control/identity/verified_certificate_cache.hpp"

#include <openssl/sha.h>

#include <cstring>

namespace mcsec::control::identity {

VerifiedCertificateCache::VerifiedCertificateCache(std::size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity) {}

VerifiedCertificateCache::Digest VerifiedCertificateCache::digest_of(
    std::span<const std::uint8_t> der) {
    Digest digest{};
    SHA256(der.data(), der.size(), digest.data());
    return digest;
}

std::size_t VerifiedCertificateCache::DigestHash::operator()(const Digest& digest) const noexcept {
    // The key is already a cryptographic hash; any 8 bytes of it are a good bucket index.
    std::size_t value = 0;
    std::memcpy(&value, digest.data(), sizeof value);
    return value;
}

std::shared_ptr<const VerifiedCertificate> VerifiedCertificateCache::find(
    const Digest& digest) const {
    const std::lock_guard lock(mutex_);
    const auto found = entries_.find(digest);
    return found == entries_.end() ? nullptr : found->second;
}

void VerifiedCertificateCache::insert(const Digest& digest,
                                      std::shared_ptr<const VerifiedCertificate> entry) {
    const std::lock_guard lock(mutex_);
    if (entries_.size() >= capacity_ && !entries_.contains(digest)) {
        entries_.erase(entries_.begin());
    }
    entries_.insert_or_assign(digest, std::move(entry));
}

std::size_t VerifiedCertificateCache::size() const {
    const std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace mcsec::control::identity
