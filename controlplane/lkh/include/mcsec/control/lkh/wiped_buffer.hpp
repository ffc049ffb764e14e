// Key bytes on the heap that are wiped when freed (LKH trees hold up to a few MB of
// key-encryption keys): moves leave the source empty, copies are not allowed.
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace mcsec::control::lkh {

class WipedBuffer {
  public:
    WipedBuffer() = default;
    explicit WipedBuffer(std::size_t size) : bytes_(size, 0) {}
    ~WipedBuffer() { wipe(); }
    WipedBuffer(const WipedBuffer&) = delete;
    WipedBuffer& operator=(const WipedBuffer&) = delete;
    WipedBuffer(WipedBuffer&& other) noexcept : bytes_(std::exchange(other.bytes_, {})) {}
    WipedBuffer& operator=(WipedBuffer&& other) noexcept {
        if (this != &other) {
            wipe();
            bytes_ = std::exchange(other.bytes_, {});
        }
        return *this;
    }
    // Takes over `bytes` (e.g. an unwrapped key) so they are wiped with this buffer.
    static WipedBuffer adopt(std::vector<std::uint8_t>&& bytes) {
        WipedBuffer out;
        out.bytes_ = std::move(bytes);
        return out;
    }

    std::size_t size() const noexcept { return bytes_.size(); }
    bool empty() const noexcept { return bytes_.empty(); }
    std::span<std::uint8_t> writable() noexcept { return bytes_; }
    std::span<const std::uint8_t> view() const noexcept { return bytes_; }
    std::span<std::uint8_t> slice(std::size_t offset, std::size_t count) noexcept {
        return std::span<std::uint8_t>(bytes_).subspan(offset, count);
    }
    std::span<const std::uint8_t> slice(std::size_t offset, std::size_t count) const noexcept {
        return std::span<const std::uint8_t>(bytes_).subspan(offset, count);
    }

  private:
    void wipe() noexcept {
        if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
    }
    std::vector<std::uint8_t> bytes_;
};

}  // namespace mcsec::control::lkh
