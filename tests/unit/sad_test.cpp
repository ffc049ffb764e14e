// The in-process SAD: O(1) by SPI and destination. (The outbound SPD is the shared-memory one:
// shm_test.cpp, spd_property_test.cpp.)
#include <gtest/gtest.h>

#include "mcsec/esp/sad.hpp"
#include "test_packets.hpp"

namespace mcsec::esp {
namespace {

using test::ip;

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
