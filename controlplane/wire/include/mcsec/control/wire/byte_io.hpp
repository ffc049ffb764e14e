// Big-endian writing and bounds-checked reading of the control-plane wire formats (IDP, MIKE,
// registration). The reader never reads past its span: every accessor reports failure instead,
// and the codecs turn that into their Truncated parse error. Failure is sticky (every later read
// fails too), so a parser may read a run of fixed fields and check only the last one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace mcsec::control::wire {

class ByteWriter {
  public:
    explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

    void u8(std::uint8_t value) { out_.push_back(value); }
    void u16(std::uint16_t value);
    void u32(std::uint32_t value);
    void u64(std::uint64_t value);
    void bytes(std::span<const std::uint8_t> value);
    void text(std::string_view value);
    // Overwrites two bytes already written at `offset` (for a length known only at the end).
    void patch_u16(std::size_t offset, std::uint16_t value);

    std::size_t size() const noexcept { return out_.size(); }

  private:
    std::vector<std::uint8_t>& out_;
};

class ByteReader {
  public:
    explicit ByteReader(std::span<const std::uint8_t> in) noexcept : in_(in) {}

    std::optional<std::uint8_t> u8() noexcept;
    std::optional<std::uint16_t> u16() noexcept;
    std::optional<std::uint32_t> u32() noexcept;
    std::optional<std::uint64_t> u64() noexcept;
    // A view of the next `count` bytes, or nullopt when fewer remain.
    std::optional<std::span<const std::uint8_t>> bytes(std::size_t count) noexcept;

    std::size_t remaining() const noexcept { return in_.size() - offset_; }

  private:
    // Claims `count` more bytes, or fails for good.
    bool take(std::size_t count) noexcept;

    std::span<const std::uint8_t> in_;
    std::size_t offset_ = 0;
    bool failed_ = false;
};

}  // namespace mcsec::control::wire
