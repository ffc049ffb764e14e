// Verdicts that went against a message or a certificate, keyed by a SHA-256 digest of what was
// checked. A forged datagram replayed a thousand times then costs a thousand hashes and one
// signature (or chain) verification, not a thousand.
//
// Only failures are kept: a success must still be checked against the replay state and the
// validity period on every use. Entries expire, and the cache is bounded because an attacker
// chooses what goes in: the least recently used entry makes room. Expired is the one verdict
// that depends on the wall-clock time of the check (a certificate not yet valid becomes valid),
// so it is answered from the cache only for checks within a second of the one that found it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "mcsec/control/authenticator.hpp"

namespace mcsec::control::identity {

class FailedVerificationCache {
  public:
    using Digest = std::array<std::uint8_t, 32>;
    using Clock = std::chrono::steady_clock;

    static constexpr std::size_t kDefaultCapacity = 4096;
    // Long enough that a flood of replays is answered from the cache, short enough that a
    // certificate which becomes valid (or a peer whose clock was wrong) is not refused for long.
    static constexpr std::chrono::seconds kDefaultLifetime{30};
    // X.509 validity periods are whole seconds.
    static constexpr std::chrono::seconds kExpiredTolerance{1};

    explicit FailedVerificationCache(std::size_t capacity = kDefaultCapacity,
                                     Clock::duration lifetime = kDefaultLifetime);

    // The failure remembered for `digest`, unless it expired by `now`; a hit refreshes its place
    // in the eviction order (not its expiry: a replayed forgery must not keep itself alive).
    // `wall` is the time the check is made for (MessageAuthenticator::verify()'s `now`).
    std::optional<AuthResult> find(const Digest& digest, Clock::time_point now,
                                   std::chrono::system_clock::time_point wall);
    // Remembers a failure (`result` other than Ok; Ok is ignored) until now + lifetime.
    void insert(const Digest& digest, AuthResult result, Clock::time_point now,
                std::chrono::system_clock::time_point wall);

    std::size_t size() const;
    std::uint64_t hits() const;
    std::uint64_t evictions() const;

  private:
    struct DigestHash {
        std::size_t operator()(const Digest& digest) const noexcept;
    };
    struct Entry {
        AuthResult result;
        Clock::time_point expires;
        std::chrono::system_clock::time_point wall;  // of the check that failed
        std::list<Digest>::iterator order;           // position in `lru_`, most recent first
    };

    std::size_t capacity_;
    Clock::duration lifetime_;
    // The authenticators' verify() is const and may be called from several threads.
    mutable std::mutex mutex_;
    std::list<Digest> lru_;
    std::unordered_map<Digest, Entry, DigestHash> entries_;
    std::uint64_t hits_ = 0;
    std::uint64_t evictions_ = 0;
};

}  // namespace mcsec::control::identity
