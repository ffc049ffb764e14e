// When hellos go out and what they carry, on a simulated clock.
#include <gtest/gtest.h>

#include <stdexcept>

#include "idp_test_support.hpp"
#include "mcsec/control/idp/hello_sender.hpp"

namespace mcsec::control::idp::test {
namespace {

Hello parse_ok(const std::vector<std::uint8_t>& bytes) {
    ParsedHello parsed;
    EXPECT_EQ(parse_hello(bytes, parsed), ParseError::Ok);
    return parsed.hello;
}

TEST(IdpHelloSender, FirstHelloAtStartThenEveryInterval) {
    const TestAuthenticator alpha("alpha");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 777, kH, kT0);
    EXPECT_EQ(sender.next_due(), kT0);
    EXPECT_FALSE(sender.poll(kT0 - 1ms));
    EXPECT_EQ(sender.last_sequence(), 0U);

    for (int n = 0; n < 5; ++n) {
        const TimePoint due = kT0 + n * kH;
        EXPECT_FALSE(sender.poll(due - 1ms)) << "hello " << n << " sent early";
        const auto datagram = sender.poll(due);
        ASSERT_TRUE(datagram) << "hello " << n << " not sent when due";
        const Hello hello = parse_ok(*datagram);
        EXPECT_EQ(hello.sequence, static_cast<std::uint64_t>(n + 1));
        EXPECT_EQ(hello.startup_timestamp, 777U);
        EXPECT_EQ(hello.node_id, "alpha");
        EXPECT_EQ(hello.black_address, v4(192, 0, 2, 1));
        EXPECT_EQ(sender.next_due(), due + kH);
        // Polling again at the same instant sends nothing more.
        EXPECT_FALSE(sender.poll(due));
    }
    EXPECT_EQ(sender.last_sequence(), 5U);
}

TEST(IdpHelloSender, HellosAreSignedWithTheCredential) {
    const TestAuthenticator alpha("alpha", 600);
    const TestAuthenticator receiver("zulu");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 1, kH, kT0);
    const auto datagram = sender.poll(kT0);
    ASSERT_TRUE(datagram);
    ParsedHello parsed;
    ASSERT_EQ(parse_hello(*datagram, parsed), ParseError::Ok);
    EXPECT_EQ(parsed.hello.credential.size(), 600U);
    EXPECT_EQ(receiver.verify("alpha", parsed.hello.credential, parsed.signed_bytes,
                              parsed.signature, kWallNow),
              AuthResult::Ok);
}

TEST(IdpHelloSender, LatePollKeepsTheGrid) {
    const TestAuthenticator alpha("alpha");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 1, kH, kT0);
    ASSERT_TRUE(sender.poll(kT0));
    ASSERT_TRUE(sender.poll(kT0 + kH + 300ms));  // timer fired late
    EXPECT_EQ(sender.next_due(), kT0 + 2 * kH);
}

TEST(IdpHelloSender, StallRestartsTheGridWithoutABurst) {
    const TestAuthenticator alpha("alpha");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 1, kH, kT0);
    ASSERT_TRUE(sender.poll(kT0));
    const TimePoint resumed = kT0 + 10 * kH + 250ms;
    ASSERT_TRUE(sender.poll(resumed));
    EXPECT_FALSE(sender.poll(resumed));
    EXPECT_EQ(sender.next_due(), resumed + kH);
    EXPECT_EQ(sender.last_sequence(), 2U);
}

TEST(IdpHelloSender, ConfiguredIntervalIsUsed) {
    const TestAuthenticator alpha("alpha");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 1, 250ms, kT0);
    ASSERT_TRUE(sender.poll(kT0));
    EXPECT_FALSE(sender.poll(kT0 + 249ms));
    EXPECT_TRUE(sender.poll(kT0 + 250ms));
}

TEST(IdpHelloSender, SendSoonSendsAnExtraHelloOffTheGrid) {
    const TestAuthenticator alpha("alpha");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 1, kH, kT0);
    ASSERT_TRUE(sender.poll(kT0));
    sender.send_soon(kT0 + 10ms);  // a peer appeared
    EXPECT_EQ(sender.next_due(), kT0 + 10ms);
    const auto early = sender.poll(kT0 + 10ms);
    ASSERT_TRUE(early);
    EXPECT_EQ(parse_ok(*early).sequence, 2U);  // a fresh sequence number, never a replay
    // The grid stays where it was.
    EXPECT_EQ(sender.next_due(), kT0 + kH);
    EXPECT_FALSE(sender.poll(kT0 + kH - 1ms));
    EXPECT_TRUE(sender.poll(kT0 + kH));
    EXPECT_EQ(sender.next_due(), kT0 + 2 * kH);
}

TEST(IdpHelloSender, SendSoonIsRateLimitedAndDeferredNotDropped) {
    const TestAuthenticator alpha("alpha");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 1, kH, kT0);
    ASSERT_TRUE(sender.poll(kT0));
    sender.send_soon(kT0 + 10ms);
    ASSERT_TRUE(sender.poll(kT0 + 10ms));
    // A flood of joins: the next early hello comes a quarter interval after the last one.
    const Duration spacing = kH / HelloSender::kEarlyHellosPerInterval;
    for (int i = 0; i < 20; ++i) sender.send_soon(kT0 + 11ms + std::chrono::milliseconds(i));
    EXPECT_EQ(sender.next_due(), kT0 + 10ms + spacing);
    EXPECT_FALSE(sender.poll(kT0 + 10ms + spacing - 1ms));
    EXPECT_TRUE(sender.poll(kT0 + 10ms + spacing));
    EXPECT_EQ(sender.next_due(), kT0 + kH);
    // None when the rate limit would put it at or after the grid's hello, which serves it.
    sender.send_soon(kT0 + kH - spacing / 2);
    ASSERT_TRUE(sender.poll(kT0 + kH - spacing / 2));
    sender.send_soon(kT0 + kH - spacing / 4);
    EXPECT_EQ(sender.next_due(), kT0 + kH);
    ASSERT_TRUE(sender.poll(kT0 + kH));
    EXPECT_EQ(sender.next_due(), kT0 + 2 * kH);
}

TEST(IdpHelloSender, SendSoonBeforeTheFirstHelloChangesNothing) {
    const TestAuthenticator alpha("alpha");
    HelloSender sender(alpha, v4(192, 0, 2, 1), 1, kH, kT0);
    sender.send_soon(kT0 - 5ms);
    EXPECT_EQ(sender.next_due(), kT0 - 5ms);
    // ... it only moves the first hello earlier; the grid is unchanged.
    ASSERT_TRUE(sender.poll(kT0 - 5ms));
    EXPECT_EQ(sender.next_due(), kT0);
}

TEST(IdpHelloSender, RefusesBadSetupAtConstruction) {
    const TestAuthenticator alpha("alpha");
    EXPECT_THROW(HelloSender(alpha, v4(192, 0, 2, 1), 1, 0ms, kT0), std::invalid_argument);
    const TestAuthenticator huge_certificate("alpha", 1400);
    EXPECT_THROW(HelloSender(huge_certificate, v4(192, 0, 2, 1), 1, kH, kT0), std::length_error);
}

}  // namespace
}  // namespace mcsec::control::idp::test
