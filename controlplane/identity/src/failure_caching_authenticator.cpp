#include "mcsec/control/identity/failure_caching_authenticator.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace mcsec::control::identity {

namespace {

// Each field length-prefixed, so that moving bytes from one field to the next (the end of the
// message into the signature, say) gives another key.
FailedVerificationCache::Digest digest_of(std::string_view claimed_node,
                                          std::span<const std::uint8_t> credential,
                                          std::span<const std::uint8_t> message,
                                          std::span<const std::uint8_t> signature) {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    if (context == nullptr) throw std::bad_alloc();
    bool ok = EVP_DigestInit_ex(context, EVP_sha256(), nullptr) == 1;
    const auto add = [&](const void* data, std::size_t size) {
        const std::uint64_t length = size;
        ok = ok && EVP_DigestUpdate(context, &length, sizeof length) == 1 &&
             EVP_DigestUpdate(context, data, size) == 1;
    };
    add(claimed_node.data(), claimed_node.size());
    add(credential.data(), credential.size());
    add(message.data(), message.size());
    add(signature.data(), signature.size());
    FailedVerificationCache::Digest digest{};
    unsigned int size = 0;
    ok = ok && EVP_DigestFinal_ex(context, digest.data(), &size) == 1 && size == digest.size();
    EVP_MD_CTX_free(context);
    if (!ok) throw std::runtime_error("SHA-256 failed");
    return digest;
}

}  // namespace

FailureCachingAuthenticator::FailureCachingAuthenticator(
    std::unique_ptr<MessageAuthenticator> inner, std::size_t capacity, Clock::duration lifetime,
    ClockFunction clock)
    : inner_(std::move(inner)), clock_(std::move(clock)), cache_(capacity, lifetime) {
    if (!inner_) throw std::invalid_argument("FailureCachingAuthenticator needs an authenticator");
}

AuthResult FailureCachingAuthenticator::verify(std::string_view claimed_node,
                                               std::span<const std::uint8_t> credential,
                                               std::span<const std::uint8_t> message,
                                               std::span<const std::uint8_t> signature,
                                               std::chrono::system_clock::time_point now) const {
    const auto digest = digest_of(claimed_node, credential, message, signature);
    const auto steady_now = clock_();
    if (const auto cached = cache_.find(digest, steady_now, now)) return *cached;
    const AuthResult result = inner_->verify(claimed_node, credential, message, signature, now);
    cache_.insert(digest, result, steady_now, now);  // failures only
    return result;
}

}  // namespace mcsec::control::identity
