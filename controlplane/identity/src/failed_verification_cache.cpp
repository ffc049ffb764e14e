#include "mcsec/control/identity/failed_verification_cache.hpp"

#include <cstring>

namespace mcsec::control::identity {

FailedVerificationCache::FailedVerificationCache(std::size_t capacity, Clock::duration lifetime)
    : capacity_(capacity == 0 ? 1 : capacity), lifetime_(lifetime) {}

std::size_t FailedVerificationCache::DigestHash::operator()(const Digest& digest) const noexcept {
    // The key is already a cryptographic hash; any 8 bytes of it are a good bucket index.
    std::size_t value = 0;
    std::memcpy(&value, digest.data(), sizeof value);
    return value;
}

std::optional<AuthResult> FailedVerificationCache::find(
    const Digest& digest, Clock::time_point now, std::chrono::system_clock::time_point wall) {
    const std::lock_guard lock(mutex_);
    const auto found = entries_.find(digest);
    if (found == entries_.end()) return std::nullopt;
    if (found->second.result == AuthResult::Expired &&
        (wall - found->second.wall >= kExpiredTolerance ||
         found->second.wall - wall >= kExpiredTolerance)) {
        return std::nullopt;  // checked again; the new verdict replaces this one
    }
    if (now >= found->second.expires) {
        lru_.erase(found->second.order);
        entries_.erase(found);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, found->second.order);
    ++hits_;
    return found->second.result;
}

void FailedVerificationCache::insert(const Digest& digest, AuthResult result, Clock::time_point now,
                                     std::chrono::system_clock::time_point wall) {
    if (result == AuthResult::Ok) return;
    const std::lock_guard lock(mutex_);
    if (const auto found = entries_.find(digest); found != entries_.end()) {
        found->second.result = result;
        found->second.expires = now + lifetime_;
        found->second.wall = wall;
        lru_.splice(lru_.begin(), lru_, found->second.order);
        return;
    }
    if (entries_.size() >= capacity_) {
        // The least recently used: under a flood of distinct forgeries that is the oldest one,
        // while a forgery being replayed stays near the front.
        entries_.erase(lru_.back());
        lru_.pop_back();
        ++evictions_;
    }
    lru_.push_front(digest);
    entries_.emplace(digest, Entry{result, now + lifetime_, wall, lru_.begin()});
}

std::size_t FailedVerificationCache::size() const {
    const std::lock_guard lock(mutex_);
    return entries_.size();
}

std::uint64_t FailedVerificationCache::hits() const {
    const std::lock_guard lock(mutex_);
    return hits_;
}

std::uint64_t FailedVerificationCache::evictions() const {
    const std::lock_guard lock(mutex_);
    return evictions_;
}

}  // namespace mcsec::control::identity
