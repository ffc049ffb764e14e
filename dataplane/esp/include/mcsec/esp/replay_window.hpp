// Anti-replay for one (SA, sender): RFC 4303 section 3.4.3 and Appendix A, ESN-aware, safe when
// several lcores check and update the same window at once.
//
// Storage (64-bit words, all zero for a new window):
//   [top][packets][bytes][ring of tagged words]
// `top` is the highest sequence number accepted so far. Each ring word covers one block of 32
// sequence numbers: its high half is the block number (seq / 32, modulo 2^32) as a tag, its low
// half the bitmap of that block. A packet is accepted by one compare-and-swap that sets its bit
// in the word whose tag is its block; a word is only ever re-tagged to a NEWER block. So a
// (sender, sequence) is accepted at most once, whichever lcores see its copies and in whatever
// order: the first CAS that sets the bit wins, and after it the word either still has that tag
// and the bit, or a newer tag, which rejects the number as stale. The ring has a word for every
// block the window can touch, so re-tagging never discards a block inside the window, and
// sliding the window needs no clearing loop.
//
// `packets` and `bytes` count what this sender sent under the SA (per-sender lifetimes).
//
// ReplayWindow is a view over storage it does not own, so the state can live in the
// shared-memory region and survive a dataplane restart. LocalReplayWindow owns its storage,
// for tests and tools.
#pragma once

#include <cstdint>
#include <vector>

#include "mcsec/esp/lifetime.hpp"

namespace mcsec::esp {

inline constexpr uint32_t kMinReplayWindow = 64;
inline constexpr uint32_t kMaxReplayWindow = 4096;

class ReplayWindow {
  public:
    // Window size actually used for a requested one (clamped to the supported range).
    static uint32_t clamp_size(uint32_t window_size);
    // 64-bit words of storage one window needs: top, usage and the ring.
    static uint32_t storage_words(uint32_t window_size);

    ReplayWindow() = default;
    // storage: storage_words(window_size) words, all zero for a new window.
    ReplayWindow(uint64_t* storage, uint32_t window_size);

    // False for a default-constructed view (no window).
    bool valid() const { return top_ != nullptr; }
    uint32_t size() const { return window_size_; }
    // Highest authenticated sequence number seen (0 = none yet).
    uint64_t top() const;

    // RFC 4303 Appendix A2.2: the 64-bit sequence number whose low half is `seq_low`, guessed
    // from the window position. The guess is confirmed only by the ICV.
    uint64_t infer_esn(uint32_t seq_low) const;

    // True if `seq` may be new: right of the window, or inside it and not yet seen. Call before
    // decrypting; it does not change the window.
    bool check(uint64_t seq) const;

    // Marks `seq` as received after its ICV verified, sliding the window if it is the new
    // highest. Returns false (and changes nothing) if `seq` is a replay: another copy may have
    // passed check() in the same burst or on another lcore. Lock-free; at most one call per
    // sequence number returns true.
    bool update(uint64_t seq);

    // What this sender has used of the SA: added after delivery, read for lifetimes.
    void add_usage(uint64_t packets, uint64_t bytes);
    LifetimeUsage usage() const;

  private:
    friend class SenderWindows;
    // For views made on every packet: the clamped size and ring mask computed once.
    ReplayWindow(uint64_t* storage, uint32_t clamped_size, uint64_t word_mask);
    static uint64_t ring_words(uint32_t window_size);

    uint64_t* top_ = nullptr;
    uint64_t* usage_ = nullptr;  // [packets][bytes]
    uint64_t* ring_ = nullptr;
    uint32_t window_size_ = 0;
    uint64_t word_mask_ = 0;  // ring size in words - 1 (a power of two)
};

// A replay window with its own storage.
class LocalReplayWindow {
  public:
    explicit LocalReplayWindow(uint32_t window_size)
        : storage_(ReplayWindow::storage_words(window_size), 0),
          window_(storage_.data(), window_size) {}
    ReplayWindow* operator->() { return &window_; }
    ReplayWindow& operator*() { return window_; }

  private:
    std::vector<uint64_t> storage_;
    ReplayWindow window_;
};

}  // namespace mcsec::esp
