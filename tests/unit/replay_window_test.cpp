// Anti-replay window edge cases (RFC 4303 section 3.4.3 and Appendix A).
#include <gtest/gtest.h>

#include "mcsec/esp/replay_window.hpp"

namespace mcsec::esp {
namespace {

TEST(ReplayWindow, AcceptsInOrderAndRejectsDuplicates) {
    LocalReplayWindow w(64);
    for (uint64_t s = 1; s <= 200; ++s) {
        ASSERT_TRUE(w->check(s));
        ASSERT_TRUE(w->update(s));
        ASSERT_FALSE(w->check(s));
        ASSERT_FALSE(w->update(s));
    }
    EXPECT_EQ(w->top(), 200u);
}

TEST(ReplayWindow, SequenceZeroIsNeverValid) {
    LocalReplayWindow w(64);
    EXPECT_FALSE(w->check(0));
    EXPECT_FALSE(w->update(0));
}

TEST(ReplayWindow, WindowEdgesAreExact) {
    for (uint32_t size : {64u, 100u, 1024u, 4096u}) {
        SCOPED_TRACE(size);
        LocalReplayWindow w(size);
        const uint64_t top = 10000;
        ASSERT_TRUE(w->update(top));
        // The last accepted number is top - size + 1; top - size is left of the window.
        EXPECT_TRUE(w->check(top - size + 1));
        EXPECT_FALSE(w->check(top - size));
        EXPECT_TRUE(w->update(top - size + 1));
        EXPECT_FALSE(w->update(top - size + 1));
    }
}

TEST(ReplayWindow, OutOfOrderWithinWindowAcceptedOnce) {
    LocalReplayWindow w(128);
    ASSERT_TRUE(w->update(500));
    for (uint64_t s = 499; s > 500 - 128; --s) ASSERT_TRUE(w->update(s)) << s;
    for (uint64_t s = 500; s > 500 - 128; --s) ASSERT_FALSE(w->check(s)) << s;
}

TEST(ReplayWindow, BigJumpClearsOldBits) {
    LocalReplayWindow w(64);
    for (uint64_t s = 1; s <= 64; ++s) ASSERT_TRUE(w->update(s));
    // Jump by far more than the ring; numbers near the new top must all be fresh.
    ASSERT_TRUE(w->update(1'000'000));
    for (uint64_t s = 1'000'000 - 63; s < 1'000'000; ++s) ASSERT_TRUE(w->check(s)) << s;
    // A jump by exactly one ring's worth of words must not leave stale bits either.
    LocalReplayWindow v(64);
    ASSERT_TRUE(v->update(5));
    ASSERT_TRUE(v->update(5 + 128));
    EXPECT_TRUE(v->check(5 + 128 - 63));
}

TEST(ReplayWindow, SizeIsClampedToSupportedRange) {
    EXPECT_EQ(LocalReplayWindow(1)->size(), kMinReplayWindow);
    EXPECT_EQ(LocalReplayWindow(100000)->size(), kMaxReplayWindow);
}

// RFC 4303 Appendix A2.2: the high half is guessed from the window position.
TEST(ReplayWindow, EsnInferenceCaseAWindowInOneSubspace) {
    LocalReplayWindow w(64);
    const uint64_t top = (uint64_t{3} << 32) | 1000;
    ASSERT_TRUE(w->update(top));
    EXPECT_EQ(w->infer_esn(1000), top);
    EXPECT_EQ(w->infer_esn(990), (uint64_t{3} << 32) | 990);
    EXPECT_EQ(w->infer_esn(2000), (uint64_t{3} << 32) | 2000);
    // Below the window bottom: must be the next subspace (far ahead), not an old number.
    EXPECT_EQ(w->infer_esn(5), (uint64_t{4} << 32) | 5);
}

TEST(ReplayWindow, EsnInferenceCaseBWindowStraddlesSubspaces) {
    LocalReplayWindow w(64);
    const uint64_t top = (uint64_t{3} << 32) | 10;
    ASSERT_TRUE(w->update(top));
    EXPECT_EQ(w->infer_esn(5), (uint64_t{3} << 32) | 5);
    EXPECT_EQ(w->infer_esn(20), (uint64_t{3} << 32) | 20);
    // 0xfffffff0 is in the window's tail, which belongs to the previous subspace.
    EXPECT_EQ(w->infer_esn(0xfffffff0u), (uint64_t{2} << 32) | 0xfffffff0u);
}

TEST(ReplayWindow, EsnRolloverAcceptsAcrossTheBoundary) {
    LocalReplayWindow w(64);
    uint64_t seq = 0xffffffffULL - 20;
    ASSERT_TRUE(w->update(seq));
    for (int i = 0; i < 50; ++i) {
        ++seq;
        const uint64_t guessed = w->infer_esn(static_cast<uint32_t>(seq));
        ASSERT_EQ(guessed, seq);
        ASSERT_TRUE(w->update(guessed));
    }
    EXPECT_GT(w->top(), 0xffffffffULL);
    // A late packet from just before the rollover is still recognised and accepted once.
    const uint64_t late = 0xffffffffULL - 3;
    EXPECT_EQ(w->infer_esn(static_cast<uint32_t>(late)), late);
}

}  // namespace
}  // namespace mcsec::esp
