#include "mcsec/esp/replay_window.hpp"

#include <algorithm>
#include <bit>

namespace mcsec::esp {

namespace {
constexpr uint64_t kWordBits = 64;
}

uint32_t ReplayWindow::clamp_size(uint32_t window_size) {
    return std::clamp(window_size, kMinReplayWindow, kMaxReplayWindow);
}

uint64_t ReplayWindow::ring_words(uint32_t window_size) {
    // One spare word beyond the window, rounded up to a power of two for cheap indexing.
    return std::bit_ceil(uint64_t{clamp_size(window_size)} / kWordBits + 1);
}

uint32_t ReplayWindow::storage_words(uint32_t window_size) {
    return static_cast<uint32_t>(1 + ring_words(window_size));
}

ReplayWindow::ReplayWindow(uint64_t* storage, uint32_t window_size)
    : top_(storage),
      ring_(storage + 1),
      window_size_(clamp_size(window_size)),
      word_mask_(ring_words(window_size) - 1) {}

uint64_t ReplayWindow::infer_esn(uint32_t seq_low) const {
    const uint64_t top = *top_;
    const uint32_t top_low = static_cast<uint32_t>(top);
    const uint64_t top_high = top >> 32;
    // Low end of the window, modulo 2^32 (wraps when the window straddles two subspaces).
    const uint32_t bottom_low = top_low - window_size_ + 1;
    uint64_t high;
    if (top_low >= window_size_ - 1) {
        // Case A: the window lies within one 2^32 subspace.
        high = seq_low >= bottom_low ? top_high : top_high + 1;
    } else {
        // Case B: the window straddles a subspace boundary.
        high = (seq_low >= bottom_low && top_high > 0) ? top_high - 1 : top_high;
    }
    return high << 32 | seq_low;
}

bool ReplayWindow::bit(uint64_t seq) const {
    return (ring_[(seq / kWordBits) & word_mask_] >> (seq % kWordBits)) & 1u;
}

bool ReplayWindow::check(uint64_t seq) const {
    if (seq == 0) return false;  // RFC 4303: the first packet is number 1; 0 is never sent
    const uint64_t top = *top_;
    if (seq > top) return true;
    if (top - seq >= window_size_) return false;  // left of the window
    return !bit(seq);
}

bool ReplayWindow::update(uint64_t seq) {
    if (!check(seq)) return false;
    const uint64_t top = *top_;
    if (seq > top) {
        // Clear the words the window slides over, at most the whole ring.
        const uint64_t top_word = top / kWordBits;
        const uint64_t new_word = seq / kWordBits;
        const uint64_t to_clear = std::min(new_word - top_word, word_mask_ + 1);
        for (uint64_t w = 1; w <= to_clear; ++w) ring_[(top_word + w) & word_mask_] = 0;
        *top_ = seq;
    }
    ring_[(seq / kWordBits) & word_mask_] |= uint64_t{1} << (seq % kWordBits);
    return true;
}

}  // namespace mcsec::esp
