// SPD (fail closed by default) and SAD (O(1) by SPI and destination).
#include <gtest/gtest.h>

#include "mcsec/esp/sad.hpp"
#include "mcsec/esp/spd.hpp"
#include "test_packets.hpp"

namespace mcsec::esp {
namespace {

using test::ip;

TEST(Spd, EmptySpdDiscardsEverything) {
    Spd spd(8);
    const auto v = spd.lookup(ip("239.1.1.1"), ip("10.0.0.1"));
    EXPECT_EQ(v.action, PolicyAction::Discard);
    EXPECT_EQ(v.reason, DropReason::NoPolicy);
    test::TestPacket p(test::udp_packet("10.0.0.1", "239.1.1.1", 4));
    EXPECT_EQ(spd.classify(p.buffer()).action, PolicyAction::Discard);
}

TEST(Spd, ActionsAndSourceSpecificEntriesWin) {
    Spd spd(8);
    OutboundSa sa;
    ASSERT_TRUE(spd.add(ip("239.1.1.1"), SpdEntry{PolicyAction::Protect, &sa}));
    ASSERT_TRUE(spd.add(ip("239.2.2.2"), SpdEntry{PolicyAction::Bypass, nullptr}));
    ASSERT_TRUE(spd.add(ip("239.3.3.3"), SpdEntry{PolicyAction::Discard, nullptr}));
    ASSERT_TRUE(spd.add(ip("239.1.1.1"), ip("10.9.9.9"), SpdEntry{PolicyAction::Discard, nullptr}));

    auto v = spd.lookup(ip("239.1.1.1"), ip("10.0.0.1"));
    EXPECT_EQ(v.action, PolicyAction::Protect);
    EXPECT_EQ(v.sa, &sa);
    EXPECT_EQ(spd.lookup(ip("239.1.1.1"), ip("10.9.9.9")).reason, DropReason::PolicyDiscard);
    EXPECT_EQ(spd.lookup(ip("239.2.2.2"), ip("10.0.0.1")).action, PolicyAction::Bypass);
    EXPECT_EQ(spd.lookup(ip("239.3.3.3"), ip("10.0.0.1")).reason, DropReason::PolicyDiscard);
    EXPECT_EQ(spd.lookup(ip("239.4.4.4"), ip("10.0.0.1")).reason, DropReason::NoPolicy);

    ASSERT_TRUE(spd.remove(ip("239.1.1.1"), ip("10.9.9.9")));
    EXPECT_EQ(spd.lookup(ip("239.1.1.1"), ip("10.9.9.9")).action, PolicyAction::Protect);
    ASSERT_TRUE(spd.remove(ip("239.1.1.1")));
    EXPECT_EQ(spd.lookup(ip("239.1.1.1"), ip("10.0.0.1")).reason, DropReason::NoPolicy);
}

TEST(Spd, ProtectWithoutUsableSaFailsClosed) {
    Spd spd(4);
    spd.add(ip("ff3e::1"), SpdEntry{PolicyAction::Protect, nullptr});
    EXPECT_EQ(spd.lookup(ip("ff3e::1"), ip("2001:db8::1")).reason, DropReason::NoOutboundSa);
    OutboundSa expired;
    expired.runtime->hard_expired = true;
    spd.add(ip("ff3e::1"), SpdEntry{PolicyAction::Protect, &expired});
    EXPECT_EQ(spd.lookup(ip("ff3e::1"), ip("2001:db8::1")).action, PolicyAction::Discard);
}

TEST(Spd, MalformedPacketIsDiscarded) {
    Spd spd(4);
    spd.add(ip("239.1.1.1"), SpdEntry{PolicyAction::Bypass, nullptr});
    std::vector<uint8_t> junk(10, 0x45);
    test::TestPacket p(junk);
    EXPECT_EQ(spd.classify(p.buffer()).reason, DropReason::InnerMalformed);
}

TEST(Sad, LookupBySpiAndDestinationWithThousandsOfEntries) {
    constexpr uint32_t kCount = 5000;
    Sad sad(kCount);
    std::vector<std::unique_ptr<InboundSa>> sas;
    for (uint32_t i = 0; i < kCount; ++i) {
        auto sa = std::make_unique<InboundSa>(1, 64);
        sa->spi = 0x1000 + i;
        const uint8_t addr[4] = {239, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
        sa->tunnel_destination = IpAddress::from_v4(addr);
        ASSERT_TRUE(sad.add(sa.get()));
        sas.push_back(std::move(sa));
    }
    EXPECT_TRUE(sad.add(sas[0].get()));  // re-adding replaces, does not grow
    EXPECT_EQ(sad.size(), kCount);
    for (uint32_t i = 0; i < kCount; ++i) {
        ASSERT_EQ(sad.find(sas[i]->spi, sas[i]->tunnel_destination), sas[i].get());
    }
    EXPECT_EQ(sad.find(0x1000, sas[1]->tunnel_destination), nullptr);
    auto extra = std::make_unique<InboundSa>(1, 64);
    extra->spi = 1;
    EXPECT_FALSE(sad.add(extra.get()));  // full
    ASSERT_TRUE(sad.remove(sas[10]->spi, sas[10]->tunnel_destination));
    EXPECT_EQ(sad.find(sas[10]->spi, sas[10]->tunnel_destination), nullptr);
    EXPECT_EQ(sad.find(sas[11]->spi, sas[11]->tunnel_destination), sas[11].get());
    EXPECT_TRUE(sad.add(extra.get()));
}

}  // namespace
}  // namespace mcsec::esp
