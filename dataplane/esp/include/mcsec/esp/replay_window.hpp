// Anti-replay for one (SA, sender): RFC 4303 section 3.4.3 and Appendix A, ESN-aware.
//
// The window is a ring of 64-bit words (the RFC 6479 layout): sliding forward clears whole
// words instead of shifting the bitmap, so a check and an update cost a few instructions for
// any window size. The ring holds at least window_size + 64 bits so that the word being
// cleared never overlaps the live window.
#pragma once

#include <cstdint>
#include <vector>

namespace mcsec::esp {

inline constexpr uint32_t kMinReplayWindow = 64;
inline constexpr uint32_t kMaxReplayWindow = 4096;

class ReplayWindow {
  public:
    // window_size: how many sequence numbers behind the highest one are still accepted
    // (kMinReplayWindow..kMaxReplayWindow). Allocates, so build windows on the control path.
    explicit ReplayWindow(uint32_t window_size);

    uint32_t size() const { return window_size_; }
    // Highest authenticated sequence number seen (0 = none yet).
    uint64_t top() const { return top_; }

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
    bool bit(uint64_t seq) const;

    uint32_t window_size_;
    uint64_t word_mask_;  // ring size in words - 1 (a power of two)
    uint64_t top_ = 0;
    std::vector<uint64_t> ring_;
};

}  // namespace mcsec::esp
