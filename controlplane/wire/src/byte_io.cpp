#include "mcsec/control/wire/byte_io.hpp"

namespace mcsec::control::wire {

void ByteWriter::u16(std::uint16_t value) {
    out_.push_back(static_cast<std::uint8_t>(value >> 8));
    out_.push_back(static_cast<std::uint8_t>(value));
}

void ByteWriter::u32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out_.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

void ByteWriter::u64(std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out_.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

void ByteWriter::bytes(std::span<const std::uint8_t> value) {
    out_.insert(out_.end(), value.begin(), value.end());
}

void ByteWriter::text(std::string_view value) {
    for (const char c : value) out_.push_back(static_cast<std::uint8_t>(c));
}

void ByteWriter::patch_u16(std::size_t offset, std::uint16_t value) {
    out_.at(offset) = static_cast<std::uint8_t>(value >> 8);
    out_.at(offset + 1) = static_cast<std::uint8_t>(value);
}

bool ByteReader::take(std::size_t count) noexcept {
    if (failed_ || remaining() < count) {
        failed_ = true;
        return false;
    }
    return true;
}

std::optional<std::uint8_t> ByteReader::u8() noexcept {
    if (!take(1)) return std::nullopt;
    return in_[offset_++];
}

std::optional<std::uint16_t> ByteReader::u16() noexcept {
    if (!take(2)) return std::nullopt;
    const auto value = static_cast<std::uint16_t>((in_[offset_] << 8) | in_[offset_ + 1]);
    offset_ += 2;
    return value;
}

std::optional<std::uint32_t> ByteReader::u32() noexcept {
    if (!take(4)) return std::nullopt;
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | in_[offset_ + i];
    offset_ += 4;
    return value;
}

std::optional<std::uint64_t> ByteReader::u64() noexcept {
    if (!take(8)) return std::nullopt;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | in_[offset_ + i];
    offset_ += 8;
    return value;
}

std::optional<std::span<const std::uint8_t>> ByteReader::bytes(std::size_t count) noexcept {
    if (!take(count)) return std::nullopt;
    const auto view = in_.subspan(offset_, count);
    offset_ += count;
    return view;
}

}  // namespace mcsec::control::wire
