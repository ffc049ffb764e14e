// SA runtime state kept outside the SA object (as the shared-memory region will hold it):
// a rebuilt SA that attaches to the same state keeps its sequence numbers and replay windows.
#include <gtest/gtest.h>

#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "test_packets.hpp"

namespace mcsec::esp {
namespace {

TEST(SaRuntime, ReattachedSaKeepsSequenceAndReplayState) {
    auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    const std::vector<uint8_t> key(16, 0x33);
    auto params = test::sa_params(key, "239.1.1.1", "239.100.1.1", "192.0.2.1");
    params.max_senders = 4;
    params.replay_window = 128;

    OutboundSaRuntime out_state;
    InboundSaRuntime in_state;
    std::vector<uint64_t> windows(SenderWindows::block_words(4, 128));
    ExternalRuntime external{&out_state, &in_state, windows.data(), true};

    std::vector<std::vector<uint8_t>> sent;
    {
        auto out = make_outbound_sa(*engine, params, external);
        auto in = make_inbound_sa(*engine, params, external);
        Sad sad(2);
        sad.add(in.get());
        EspEncap encap(*engine);
        EspDecap decap(*engine, sad);
        for (int i = 0; i < 3; ++i) {
            test::TestPacket p(test::udp_packet("10.1.0.1", "239.1.1.1", 16));
            PacketBuffer* pkts[1] = {p.ptr()};
            OutboundSa* osas[1] = {out.get()};
            DropReason reasons[1];
            ASSERT_EQ(encap.process(pkts, osas, reasons, 0), 1u);
            sent.push_back(p.bytes());
            InboundSa* isas[1];
            ASSERT_EQ(decap.process(pkts, isas, reasons, 0), 1u);
        }
    }
    EXPECT_EQ(out_state.last_seq, 3u);
    EXPECT_EQ(in_state.usage.packets, 3u);

    // "Restart": new SA objects attach to the same state without formatting it.
    external.initialize = false;
    auto out = make_outbound_sa(*engine, params, external);
    auto in = make_inbound_sa(*engine, params, external);
    EXPECT_EQ(out->runtime->last_seq, 3u);
    EXPECT_EQ(in->senders.count(), 1u);
    Sad sad(2);
    sad.add(in.get());
    EspDecap decap(*engine, sad);
    test::TestPacket replayed(sent[1]);
    PacketBuffer* pkts[1] = {replayed.ptr()};
    InboundSa* isas[1];
    DropReason reasons[1];
    EXPECT_EQ(decap.process(pkts, isas, reasons, 0), 0u);
    EXPECT_EQ(reasons[0], DropReason::Replay);

    // Formatting again (a new SA in the same slot) forgets everything.
    external.initialize = true;
    auto fresh = make_inbound_sa(*engine, params, external);
    EXPECT_EQ(fresh->senders.count(), 0u);
    EXPECT_EQ(in_state.usage.packets, 0u);
}

TEST(SaRuntime, SenderWindowsFillUpAndFindEachSender) {
    std::vector<uint64_t> block(SenderWindows::block_words(5, 64));
    SenderWindows windows(block.data(), 5, 64, true);
    for (uint16_t id = 100; id < 105; ++id) ASSERT_TRUE(windows.find_or_add(id).valid());
    EXPECT_FALSE(windows.find_or_add(200).valid());
    for (uint16_t id = 100; id < 105; ++id) {
        ReplayWindow w = windows.find(id);
        ASSERT_TRUE(w.valid());
        EXPECT_TRUE(w.update(id));
    }
    EXPECT_FALSE(windows.find(7).valid());
    SenderWindows reattached(block.data(), 5, 64, false);
    EXPECT_EQ(reattached.count(), 5u);
    EXPECT_EQ(reattached.find(103).top(), 103u);
}

// The bug this guards against: each lcore has its own view of an SA's shared windows, and a
// window another view added later must be found (not handed back as a view of nothing).
TEST(SaRuntime, EveryViewFindsWindowsAnotherViewAddedLater) {
    std::vector<uint64_t> block(SenderWindows::block_words(8, 128));
    SenderWindows lcore0(block.data(), 8, 128, true);
    SenderWindows lcore1(block.data(), 8, 128, false);  // built before any window exists
    ASSERT_TRUE(lcore0.find_or_add(42).update(5));
    ReplayWindow seen_by_1 = lcore1.find(42);
    ASSERT_TRUE(seen_by_1.valid());
    EXPECT_FALSE(seen_by_1.check(5));
    EXPECT_FALSE(lcore1.find_or_add(42).update(5));  // the same window, not a second one
    EXPECT_EQ(lcore1.count(), 1u);
    EXPECT_TRUE(lcore1.find_or_add(43).update(5));
    EXPECT_TRUE(lcore0.find(43).valid());
    EXPECT_EQ(lcore0.count(), 2u);
}

TEST(SaRuntime, SenderWindowsCountUsagePerSender) {
    std::vector<uint64_t> block(SenderWindows::block_words(4, 64));
    SenderWindows windows(block.data(), 4, 64, true);
    windows.find_or_add(1).add_usage(3, 300);
    windows.find_or_add(2).add_usage(1, 50);
    windows.find_or_add(1).add_usage(1, 100);
    EXPECT_EQ(windows.find(1).usage().packets, 4u);
    EXPECT_EQ(windows.find(1).usage().bytes, 400u);
    EXPECT_EQ(windows.find(2).usage().packets, 1u);
}

}  // namespace
}  // namespace mcsec::esp
