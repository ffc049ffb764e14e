#include <gtest/gtest.h>

#include "mcsec/esp/lifetime.hpp"

namespace mcsec::esp {
namespace {

TEST(Lifetime, ZeroMeansUnlimited) {
    EXPECT_EQ(evaluate_lifetime({}, {~0ULL, ~0ULL}, ~0ULL), LifetimeStatus::Ok);
}

TEST(Lifetime, EachDimensionTriggersSoftThenHard) {
    LifetimeLimits l{.soft_seconds = 10,
                     .hard_seconds = 20,
                     .soft_bytes = 1000,
                     .hard_bytes = 2000,
                     .soft_packets = 5,
                     .hard_packets = 8};
    EXPECT_EQ(evaluate_lifetime(l, {4, 999}, 9), LifetimeStatus::Ok);
    EXPECT_EQ(evaluate_lifetime(l, {5, 0}, 0), LifetimeStatus::Soft);
    EXPECT_EQ(evaluate_lifetime(l, {0, 1000}, 0), LifetimeStatus::Soft);
    EXPECT_EQ(evaluate_lifetime(l, {0, 0}, 10), LifetimeStatus::Soft);
    EXPECT_EQ(evaluate_lifetime(l, {8, 0}, 0), LifetimeStatus::Hard);
    EXPECT_EQ(evaluate_lifetime(l, {0, 2000}, 0), LifetimeStatus::Hard);
    EXPECT_EQ(evaluate_lifetime(l, {0, 0}, 20), LifetimeStatus::Hard);
}

// A hard limit without a soft one still asks for a rekey first, at 90% of it.
TEST(Lifetime, HardWithoutSoftAsksForRekeyAtNinetyPercent) {
    LifetimeLimits l{.hard_seconds = 100, .hard_bytes = 10000, .hard_packets = 50};
    EXPECT_EQ(evaluate_lifetime(l, {44, 8999}, 89), LifetimeStatus::Ok);
    EXPECT_EQ(evaluate_lifetime(l, {45, 0}, 0), LifetimeStatus::Soft);
    EXPECT_EQ(evaluate_lifetime(l, {0, 9000}, 0), LifetimeStatus::Soft);
    EXPECT_EQ(evaluate_lifetime(l, {0, 0}, 90), LifetimeStatus::Soft);
    EXPECT_EQ(evaluate_lifetime(l, {50, 0}, 0), LifetimeStatus::Hard);
}

}  // namespace
}  // namespace mcsec::esp
