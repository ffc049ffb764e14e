#include "mcsec/esp/replay_window.hpp"

#include <algorithm>
#include <atomic>
#include <bit>

namespace mcsec::esp {

namespace {

constexpr uint64_t kBlockBits = 32;  // sequence numbers per ring word
constexpr uint32_t kUsageWords = 2;

using Word = std::atomic_ref<uint64_t>;
using ConstWord = std::atomic_ref<const uint64_t>;

uint32_t block_tag(uint64_t seq) {
    return static_cast<uint32_t>(seq / kBlockBits);
}
uint32_t tag_of(uint64_t word) {
    return static_cast<uint32_t>(word >> 32);
}
uint32_t bits_of(uint64_t word) {
    return static_cast<uint32_t>(word);
}
uint32_t bit_of(uint64_t seq) {
    return uint32_t{1} << (seq % kBlockBits);
}
// Block tags compare modulo 2^32 (serial-number arithmetic): a tag is newer than another if it
// is less than 2^31 blocks ahead. Words are re-tagged far more often than every 2^36 numbers.
bool newer(uint32_t tag, uint32_t than) {
    return static_cast<int32_t>(tag - than) > 0;
}

// What a ring word says about `seq`: seen, stale (its block was overwritten by a newer one),
// or free to take.
enum class Slot { Seen, Stale, Free };
Slot classify(uint64_t word, uint64_t seq) {
    const uint32_t bits = bits_of(word), tag = tag_of(word), block = block_tag(seq);
    if (bits == 0) return Slot::Free;  // a word nothing was ever accepted in
    if (tag == block) return (bits & bit_of(seq)) != 0 ? Slot::Seen : Slot::Free;
    return newer(block, tag) ? Slot::Free : Slot::Stale;
}

}  // namespace

uint32_t ReplayWindow::clamp_size(uint32_t window_size) {
    return std::clamp(window_size, kMinReplayWindow, kMaxReplayWindow);
}

uint64_t ReplayWindow::ring_words(uint32_t window_size) {
    // A window of W numbers touches at most W / 32 + 2 blocks; rounded up to a power of two for
    // cheap indexing. A word is re-tagged only for a block at least a ring ahead, so the block
    // it held is left of the window.
    return std::bit_ceil(uint64_t{clamp_size(window_size)} / kBlockBits + 2);
}

uint32_t ReplayWindow::storage_words(uint32_t window_size) {
    return static_cast<uint32_t>(1 + kUsageWords + ring_words(window_size));
}

ReplayWindow::ReplayWindow(uint64_t* storage, uint32_t window_size)
    : top_(storage),
      usage_(storage + 1),
      ring_(storage + 1 + kUsageWords),
      window_size_(clamp_size(window_size)),
      word_mask_(ring_words(window_size) - 1) {}

ReplayWindow::ReplayWindow(uint64_t* storage, uint32_t clamped_size, uint64_t word_mask)
    : top_(storage),
      usage_(storage + 1),
      ring_(storage + 1 + kUsageWords),
      window_size_(clamped_size),
      word_mask_(word_mask) {}

uint64_t ReplayWindow::top() const {
    return ConstWord(*top_).load(std::memory_order_relaxed);
}

uint64_t ReplayWindow::infer_esn(uint32_t seq_low) const {
    const uint64_t top = this->top();
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

bool ReplayWindow::check(uint64_t seq) const {
    if (seq == 0) return false;  // RFC 4303: the first packet is number 1; 0 is never sent
    const uint64_t top = this->top();
    if (seq > top) return true;
    if (top - seq >= window_size_) return false;  // left of the window
    const uint64_t word =
        ConstWord(ring_[(seq / kBlockBits) & word_mask_]).load(std::memory_order_relaxed);
    return classify(word, seq) == Slot::Free;
}

bool ReplayWindow::update(uint64_t seq) {
    if (seq == 0) return false;
    Word top(*top_);
    uint64_t current_top = top.load(std::memory_order_relaxed);
    if (seq <= current_top && current_top - seq >= window_size_) return false;

    // The acceptance itself: one CAS that sets the number's bit.
    Word word(ring_[(seq / kBlockBits) & word_mask_]);
    uint64_t old = word.load(std::memory_order_relaxed);
    while (true) {
        uint64_t next;
        switch (classify(old, seq)) {
            case Slot::Seen:
            case Slot::Stale:
                return false;
            case Slot::Free:
                next = tag_of(old) == block_tag(seq) && bits_of(old) != 0
                           ? old | bit_of(seq)
                           : uint64_t{block_tag(seq)} << 32 | bit_of(seq);
                break;
        }
        if (word.compare_exchange_weak(old, next, std::memory_order_relaxed)) break;
    }
    // Slide the window: top only grows.
    while (seq > current_top &&
           !top.compare_exchange_weak(current_top, seq, std::memory_order_relaxed)) {
    }
    return true;
}

void ReplayWindow::add_usage(uint64_t packets, uint64_t bytes) {
    Word(usage_[0]).fetch_add(packets, std::memory_order_relaxed);
    Word(usage_[1]).fetch_add(bytes, std::memory_order_relaxed);
}

LifetimeUsage ReplayWindow::usage() const {
    return {ConstWord(usage_[0]).load(std::memory_order_relaxed),
            ConstWord(usage_[1]).load(std::memory_order_relaxed)};
}

}  // namespace mcsec::esp
