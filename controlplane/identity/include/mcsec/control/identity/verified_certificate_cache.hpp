// Peer certificates that already passed chain verification, keyed by the SHA-256 of their DER
// bytes. With hellos every second from dozens of peers, a repeated credential then costs one
// hash instead of a chain verification; the validity window is still checked on every use, so
// a cached certificate expires on time.
#pragma once

#include "mcsec/control/identity/certificate_checks.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

namespace mcsec::control::identity {

struct VerifiedCertificate {
    std::shared_ptr<EVP_PKEY> public_key;
    std::string common_name;
    ValidityWindow validity;  // of the whole chain
};

class VerifiedCertificateCache {
  public:
    using Digest = std::array<std::uint8_t, 32>;

    // Only certificates issued by the deployment CA get in, so the bound is about the size of
    // the deployment, not about an attacker; when full, one entry is dropped to make room.
    static constexpr std::size_t kDefaultCapacity = 1024;

    explicit VerifiedCertificateCache(std::size_t capacity = kDefaultCapacity);

    static Digest digest_of(std::span<const std::uint8_t> der);

    std::shared_ptr<const VerifiedCertificate> find(const Digest& digest) const;
    void insert(const Digest& digest, std::shared_ptr<const VerifiedCertificate> entry);
    std::size_t size() const;

  private:
    struct DigestHash {
        std::size_t operator()(const Digest& digest) const noexcept;
    };

    std::size_t capacity_;
    // verify() is const and may be called from several threads.
    mutable std::mutex mutex_;
    std::unordered_map<Digest, std::shared_ptr<const VerifiedCertificate>, DigestHash> entries_;
};

}  // namespace mcsec::control::identity
