// SPI allocation: unique across groups and in-flight epochs, never reserved values, released SPIs
// not reused before the cursor wraps.
#include <gtest/gtest.h>

#include <set>

#include "registration_test_support.hpp"

namespace mcsec::control::registration::test {
namespace {

TEST(SpiAllocator, UniqueAcrossGroupsAndEpochs) {
    SpiAllocator spis(0x100);
    std::set<std::uint32_t> seen;
    for (int g = 0; g < 50; ++g) {
        const auto group = config::IpAddress::from_v4({239, 1, 1, static_cast<std::uint8_t>(g)});
        for (std::uint64_t epoch = 1; epoch <= 3; ++epoch) {
            const auto spi = spis.allocate(SpiOwner{group, epoch});
            ASSERT_TRUE(spi);
            EXPECT_GE(*spi, kMinSpi);
            EXPECT_TRUE(seen.insert(*spi).second);
            EXPECT_EQ(spis.owner_of(*spi), (SpiOwner{group, epoch}));
        }
    }
    EXPECT_EQ(spis.in_use(), 150u);
}

TEST(SpiAllocator, SameOwnerGetsTheSameSpi) {
    SpiAllocator spis(0x5000);
    const SpiOwner owner{group_address("239.0.0.1"), 4};
    EXPECT_EQ(spis.allocate(owner), 0x5000u);
    EXPECT_EQ(spis.allocate(owner), 0x5000u);
    EXPECT_EQ(spis.spi_of(owner), 0x5000u);
}

TEST(SpiAllocator, StartsAboveTheReservedRangeAndWrapsIntoIt) {
    SpiAllocator low(7);
    EXPECT_EQ(low.allocate(SpiOwner{group_address("239.0.0.1"), 1}), kMinSpi);
    SpiAllocator high(0xffffffff);
    EXPECT_EQ(high.allocate(SpiOwner{group_address("239.0.0.1"), 1}), 0xffffffffu);
    EXPECT_EQ(high.allocate(SpiOwner{group_address("239.0.0.1"), 2}), kMinSpi);
}

TEST(SpiAllocator, ReleasedSpiIsNotReusedAtOnceAndTakenOnesAreSkipped) {
    SpiAllocator spis(0xfffffffe);
    const auto group = group_address("239.0.0.1");
    const auto first = spis.allocate(SpiOwner{group, 1});
    spis.release(SpiOwner{group, 1});
    EXPECT_NE(spis.allocate(SpiOwner{group, 2}), first);
    EXPECT_FALSE(spis.owner_of(*first));
    // After the wrap the cursor skips values still in use.
    SpiAllocator wrapping(0xffffffff);
    EXPECT_EQ(wrapping.allocate(SpiOwner{group, 1}), 0xffffffffu);
    EXPECT_EQ(wrapping.allocate(SpiOwner{group, 2}), kMinSpi);
    wrapping.release(SpiOwner{group, 1});
    EXPECT_EQ(wrapping.allocate(SpiOwner{group, 3}), kMinSpi + 1);
}

TEST(SpiAllocator, BoundedInUse) {
    SpiAllocator spis(0x100, 2);
    const auto group = group_address("239.0.0.1");
    EXPECT_TRUE(spis.allocate(SpiOwner{group, 1}));
    EXPECT_TRUE(spis.allocate(SpiOwner{group, 2}));
    EXPECT_FALSE(spis.allocate(SpiOwner{group, 3}));
    spis.release_group(group);
    EXPECT_EQ(spis.in_use(), 0u);
}

TEST(RegistrySpis, EpochsInFlightAreBoundedAndGroupsNeverShare) {
    idp::test::TestAuthenticator auth("tm-a");
    Registry registry(auth, 1, 0x100);
    const auto a = group_address("239.1.1.1");
    const auto b = group_address("ff0e::1");
    registry.serve_group(a, 0s);
    registry.serve_group(b, 0s);
    std::set<std::uint32_t> live;
    for (std::uint64_t epoch = 1; epoch <= 10; ++epoch) {
        EXPECT_TRUE(live.insert(registry.begin_epoch(a, epoch, t0())).second);
        EXPECT_TRUE(live.insert(registry.begin_epoch(b, epoch, t0())).second);
    }
    // Only the newest epochs of each group still hold an SPI.
    EXPECT_EQ(registry.spis().in_use(), 2 * kMaxEpochsInFlight);
    EXPECT_EQ(registry.current_epoch(a)->first, 10u);
    EXPECT_FALSE(registry.spis().spi_of(SpiOwner{a, 7}));
    EXPECT_TRUE(registry.spis().spi_of(SpiOwner{a, 8}));
    registry.retire_epoch(a, 8);
    EXPECT_FALSE(registry.spis().spi_of(SpiOwner{a, 8}));
    EXPECT_THROW(registry.begin_epoch(a, 10, t0()), std::invalid_argument);
    EXPECT_THROW(registry.begin_epoch(group_address("239.9.9.9"), 1, t0()), std::invalid_argument);
    registry.stop_serving(b);
    EXPECT_EQ(registry.spis().in_use(), kMaxEpochsInFlight - 1);
}

TEST(SpiAllocator, ReserveTakesAChosenSpiUnlessAnotherOwnerHoldsIt) {
    SpiAllocator spis(0x100);
    const auto a = group_address("239.0.0.1");
    const auto b = group_address("239.0.0.2");
    EXPECT_TRUE(spis.reserve(SpiOwner{a, 1}, 0x1234));
    EXPECT_TRUE(spis.reserve(SpiOwner{a, 1}, 0x1234));  // already its own
    EXPECT_FALSE(spis.reserve(SpiOwner{b, 1}, 0x1234));
    EXPECT_FALSE(spis.spi_of(SpiOwner{b, 1}));
    // An owner moving to another SPI frees the old one.
    EXPECT_TRUE(spis.reserve(SpiOwner{a, 1}, 0x5678));
    EXPECT_TRUE(spis.reserve(SpiOwner{b, 1}, 0x1234));
    EXPECT_EQ(spis.in_use(), 2u);
}

TEST(RegistrySpis, ChosenSpisAreUniqueAcrossServedGroups) {
    idp::test::TestAuthenticator auth("tm-a");
    Registry registry(auth, 1, 0x100);
    const auto a = group_address("239.1.1.1");
    const auto b = group_address("239.1.1.2");
    registry.serve_group(a, 0s);
    registry.serve_group(b, 0s);
    EXPECT_TRUE(registry.begin_epoch_with_spi(a, 1, 0xabcd, t0()));
    // Group b's keying derived the same SPI: refused, nothing recorded for b.
    EXPECT_FALSE(registry.begin_epoch_with_spi(b, 1, 0xabcd, t0()));
    EXPECT_FALSE(registry.current_epoch(b));
    EXPECT_TRUE(registry.begin_epoch_with_spi(b, 2, 0xabce, t0()));
    EXPECT_EQ(registry.current_epoch(b)->second, 0xabceu);
    // Once a's epoch 1 is out of flight its SPI is free again.
    for (std::uint64_t epoch = 2; epoch <= 4; ++epoch) {
        EXPECT_TRUE(registry.begin_epoch_with_spi(a, epoch, 0x1000 + epoch, t0()));
    }
    EXPECT_TRUE(registry.begin_epoch_with_spi(b, 3, 0xabcd, t0()));
    EXPECT_THROW(registry.begin_epoch_with_spi(b, 3, 0x9999, t0()), std::invalid_argument);
}

}  // namespace
}  // namespace mcsec::control::registration::test
