// Anti-replay for one (SA, sender): RFC 4303 section 3.4.3 and Appendix A, ESN-aware.
//
// The window is a ring of 64-bit words (the RFC 6479 layout): sliding forward clears whole
// words instead of shifting the bitmap, so a check and an update cost a few instructions for
// any window size. The ring holds at least window_size + 64 bits so that the word being
// cleared never overlaps the live window.
//
// ReplayWindow is a view over storage it does not own (top + ring words), so the state can
// live in the shared-memory region and survive a dataplane restart. LocalReplayWindow owns
// its storage, for tests and tools.
#pragma once

#include <cstdint>
#include <vector>

namespace mcsec::esp {

inline constexpr uint32_t kMinReplayWindow = 64;
inline constexpr uint32_t kMaxReplayWindow = 4096;

class ReplayWindow {
  public:
    // Window size actually used for a requested one (clamped to the supported range).
    static uint32_t clamp_size(uint32_t window_size);
    // 64-bit words of storage one window needs: the top plus the ring.
    static uint32_t storage_words(uint32_t window_size);

    ReplayWindow() = default;
    // storage: storage_words(window_size) words, all zero for a new window.
    ReplayWindow(uint64_t* storage, uint32_t window_size);

    uint32_t size() const { return window_size_; }
    // Highest authenticated sequence number seen (0 = none yet).
    uint64_t top() const { return *top_; }

    // RFC 4303 Appendix A2.2: the 64-bit sequence number whose low half is `seq_low`, guessed
    // from the window position. The guess is confirmed only by the ICV.
    uint64_t infer_esn(uint32_t seq_low) const;

    // True if `seq` may be new: right of the window, or inside it and not yet seen. Call before
    // decrypting; it does not change the window.
    bool check(uint64_t seq) const;

    // Marks `seq` as received after its ICV verified, sliding the window if it is the new
    // highest. Returns false (and changes nothing) if `seq` is a replay: a second packet with
    // the same number may have passed check() in the same burst.
    bool update(uint64_t seq);

  private:
    static uint64_t ring_words(uint32_t window_size);
    bool bit(uint64_t seq) const;

    uint64_t* top_ = nullptr;
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
