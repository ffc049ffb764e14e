#pragma once

// Key material read from the configuration. It lives in a fixed inline buffer (no heap, so no
// reallocation can leave copies behind), is wiped on destruction and on move-from, cannot be
// copied by accident, and prints as "<redacted>" so it never reaches a log or an error message.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>

namespace mcsec::config {

class SecretBytes {
  public:
    // Room for the largest key the schema accepts (AES-256 key + 4-byte GCM salt = 36 bytes).
    static constexpr std::size_t kCapacity = 64;

    SecretBytes() noexcept = default;
    ~SecretBytes();

    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    // Moving copies the bytes and wipes the source.
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;

    // Appends one byte; false (and no change) when the buffer is full.
    bool push_back(std::uint8_t byte) noexcept;
    // Wipes the bytes and makes the buffer empty.
    void clear() noexcept;

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::span<const std::uint8_t> view() const noexcept { return {bytes_.data(), size_}; }

    // Constant-time comparison of the contents (sizes are not secret).
    bool equals(std::span<const std::uint8_t> other) const noexcept;

    // Writes "<redacted N bytes>", never the bytes.
    friend std::ostream& operator<<(std::ostream& out, const SecretBytes& secret);

  private:
    std::array<std::uint8_t, kCapacity> bytes_{};
    std::size_t size_ = 0;
};

}  // namespace mcsec::config
