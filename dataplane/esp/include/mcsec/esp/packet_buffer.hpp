// A packet as the ESP core sees it: bytes in a buffer with headroom before and tailroom after.
// It maps one-to-one onto a single-segment rte_mbuf (buf_addr, buf_len, data_off, data_len), so
// the DPDK glue stays a few lines, and tests use plain arrays without EAL.
#pragma once

#include <cstdint>
#include <span>

namespace mcsec::esp {

class PacketBuffer {
  public:
    PacketBuffer() = default;
    PacketBuffer(uint8_t* buffer, uint32_t capacity, uint32_t data_offset, uint32_t length)
        : buffer_(buffer), capacity_(capacity), offset_(data_offset), length_(length) {}

    uint8_t* data() { return buffer_ + offset_; }
    const uint8_t* data() const { return buffer_ + offset_; }
    uint32_t length() const { return length_; }
    uint32_t offset() const { return offset_; }
    uint32_t headroom() const { return offset_; }
    uint32_t tailroom() const { return capacity_ - offset_ - length_; }
    std::span<uint8_t> bytes() { return {data(), length_}; }
    std::span<const uint8_t> bytes() const { return {data(), length_}; }

    // Each returns a pointer to the new first / appended byte; callers check room first.
    uint8_t* prepend(uint32_t n) {
        offset_ -= n;
        length_ += n;
        return data();
    }
    uint8_t* append(uint32_t n) {
        uint8_t* tail = data() + length_;
        length_ += n;
        return tail;
    }
    void trim_front(uint32_t n) {
        offset_ += n;
        length_ -= n;
    }
    void trim_back(uint32_t n) { length_ -= n; }

  private:
    uint8_t* buffer_ = nullptr;
    uint32_t capacity_ = 0;
    uint32_t offset_ = 0;
    uint32_t length_ = 0;
};

}  // namespace mcsec::esp
