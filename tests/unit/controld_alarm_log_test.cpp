// DaemonAlarmLog: alarms kept for the operator API, throttled per kind so a flood of forged
// datagrams neither fills the log nor floods stderr. Simulated clock.
#include <gtest/gtest.h>

#include <string>

#include "daemon_alarm_log.hpp"

namespace mcsec::control {
namespace {

using namespace std::chrono_literals;
using TimePoint = DaemonAlarmLog::TimePoint;

DaemonAlarm alarm(const std::string& kind, const std::string& origin = "local") {
    DaemonAlarm a;
    a.kind = kind;
    a.origin = origin;
    a.detail = "hello from 198.18.0.9 refused";
    return a;
}

class DaemonAlarmLogTest : public ::testing::Test {
  protected:
    TimePoint t0 = TimePoint{} + 1000s;
    DaemonAlarmLog log;
};

TEST_F(DaemonAlarmLogTest, ABurstIsRecordedInFullAndAFloodIsCounted) {
    for (unsigned i = 0; i < DaemonAlarmLog::kBurst; ++i) {
        EXPECT_TRUE(log.raise(alarm("SIGN_FAILED"), t0)) << i;
    }
    for (int i = 0; i < 1000; ++i) EXPECT_FALSE(log.raise(alarm("SIGN_FAILED"), t0));
    EXPECT_EQ(log.entries().size(), DaemonAlarmLog::kBurst);
    EXPECT_EQ(log.counters().at("SIGN_FAILED").raised, DaemonAlarmLog::kBurst);
    EXPECT_EQ(log.counters().at("SIGN_FAILED").suppressed, 1000u);
}

TEST_F(DaemonAlarmLogTest, TheNextRecordedAlarmSaysHowManyWereSuppressed) {
    for (unsigned i = 0; i < DaemonAlarmLog::kBurst + 7; ++i) log.raise(alarm("SIGN_FAILED"), t0);
    EXPECT_FALSE(log.raise(alarm("SIGN_FAILED"), t0 + DaemonAlarmLog::kRefill / 2));
    ASSERT_TRUE(log.raise(alarm("SIGN_FAILED"), t0 + DaemonAlarmLog::kRefill));
    EXPECT_EQ(
        log.entries().back().detail,
        "hello from 198.18.0.9 refused (8 more SIGN_FAILED alarms suppressed before this one)");
    // The count starts again after it was reported.
    EXPECT_FALSE(log.raise(alarm("SIGN_FAILED"), t0 + DaemonAlarmLog::kRefill));
    ASSERT_TRUE(log.raise(alarm("SIGN_FAILED"), t0 + 2 * DaemonAlarmLog::kRefill));
    EXPECT_NE(log.entries().back().detail.find("(1 more"), std::string::npos);
}

TEST_F(DaemonAlarmLogTest, AFloodOfOneKindDoesNotSilenceAnother) {
    for (int i = 0; i < 100; ++i) log.raise(alarm("MALFORMED_PACKET"), t0);
    EXPECT_TRUE(log.raise(alarm("SA_EXPIRED"), t0));
    // Nor do a peer's received alarms silence our own of the same kind.
    for (int i = 0; i < 100; ++i) log.raise(alarm("SIGN_FAILED", "received"), t0);
    EXPECT_TRUE(log.raise(alarm("SIGN_FAILED", "local"), t0));
    EXPECT_EQ(log.entries().back().kind, "SIGN_FAILED");
    EXPECT_EQ(log.entries().back().origin, "local");
}

TEST_F(DaemonAlarmLogTest, QuietTimeRefillsTheBurstButNoMore) {
    for (unsigned i = 0; i < DaemonAlarmLog::kBurst; ++i) log.raise(alarm("SIGN_FAILED"), t0);
    const TimePoint later = t0 + 1h;
    for (unsigned i = 0; i < DaemonAlarmLog::kBurst; ++i) {
        EXPECT_TRUE(log.raise(alarm("SIGN_FAILED"), later)) << i;
    }
    EXPECT_FALSE(log.raise(alarm("SIGN_FAILED"), later));
}

TEST_F(DaemonAlarmLogTest, TheLogKeepsTheNewestUpToItsCapacity) {
    TimePoint now = t0;
    for (std::size_t i = 0; i < DaemonAlarmLog::kCapacity + 50; ++i) {
        DaemonAlarm a = alarm("SA_EXPIRED");
        a.spi = static_cast<std::uint32_t>(i);
        now += DaemonAlarmLog::kRefill;  // a steady trickle, never throttled
        ASSERT_TRUE(log.raise(a, now));
    }
    EXPECT_EQ(log.entries().size(), DaemonAlarmLog::kCapacity);
    EXPECT_EQ(log.entries().front().spi, 50u);
    EXPECT_EQ(log.entries().back().spi, DaemonAlarmLog::kCapacity + 49);
    EXPECT_EQ(log.counters().at("SA_EXPIRED").raised, DaemonAlarmLog::kCapacity + 50);
}

}  // namespace
}  // namespace mcsec::control
