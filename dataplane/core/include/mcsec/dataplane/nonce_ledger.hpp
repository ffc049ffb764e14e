// The nonce ledger: for every outbound nonce space this appliance has sent in, the highest
// sequence number it ever reserved, on disk, so no restart (reboot, kill -9, power loss, a
// region created afresh) hands out a (key, IV) pair twice.
//
// A nonce space is (key, salt, sender ID): AES-GCM's nonce is salt || IV and the IV is
// sender ID || counter (security_association.hpp). It is named by a fingerprint, SHA-256 over a
// domain-separation label and those bytes; the key itself is never stored or logged.
//
// Layout: <state_dir>/<instance>/ (mode 0700), one file per nonce space, nonce-<fingerprint hex>
// (mode 0600), holding the mark as text; nonce.lock (flock) keeps one ledger owner per
// instance. A mark is raised by writing a temporary file, fsync, rename over the old one, fsync
// of the directory: after a crash the file holds the old mark or the new one, never less.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mcsec::dataplane {

using NonceSpaceId = std::array<uint8_t, 32>;

// The fingerprint of a nonce space. `key` is the AES key alone (16 or 32 bytes).
NonceSpaceId nonce_space_id(std::span<const uint8_t> key, std::span<const uint8_t, 4> salt,
                            uint16_t sender_id);
std::string to_hex(const NonceSpaceId& id);

class NonceLedger {
  public:
    // Opens (creating where missing, mode 0700) <state_dir>/<instance>/ and takes its lock.
    // nullptr with `error` naming the path and the errno text when the directory cannot be
    // created or written, is owned by someone else or readable by others, or another process
    // holds the ledger.
    static std::unique_ptr<NonceLedger> open(const std::filesystem::path& state_dir,
                                             std::string_view instance, std::string& error);
    ~NonceLedger();
    NonceLedger(const NonceLedger&) = delete;
    NonceLedger& operator=(const NonceLedger&) = delete;

    const std::filesystem::path& directory() const { return directory_; }

    // The highest sequence number ever reserved in this nonce space; 0 if never. nullopt with
    // `error` if its file cannot be read or is not a ledger file (never guessed).
    std::optional<uint64_t> mark(const NonceSpaceId& id, std::string& error);
    // Raises the mark to `limit` and returns only once it is durable (fsync of the file and of
    // the directory). A limit at or below the mark changes nothing. False with `error` if the
    // write failed; the old mark then still stands.
    bool raise(const NonceSpaceId& id, uint64_t limit, std::string& error);

  private:
    NonceLedger(std::filesystem::path directory, int dir_fd, int lock_fd)
        : directory_(std::move(directory)), dir_fd_(dir_fd), lock_fd_(lock_fd) {}

    std::filesystem::path directory_;
    int dir_fd_;
    int lock_fd_;
    std::map<NonceSpaceId, uint64_t> marks_;  // what this process read or wrote
};

}  // namespace mcsec::dataplane
