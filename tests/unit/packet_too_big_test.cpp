// ICMPv6 Packet Too Big for the "icmp" MTU policy, and its rate limit.
#include <gtest/gtest.h>

#include "mcsec/dataplane/packet_too_big.hpp"
#include "mcsec/esp/byte_order.hpp"
#include "test_packets.hpp"

namespace mcsec::dataplane {
namespace {

// Independent check: the one's-complement sum over pseudo-header + message is all ones.
bool checksum_verifies(const std::vector<uint8_t>& packet) {
    uint64_t sum = 0;
    auto add = [&](const uint8_t* p, size_t n) {
        for (size_t i = 0; i < n; ++i) sum += (i % 2 == 0) ? uint32_t{p[i]} << 8 : p[i];
    };
    const size_t length = packet.size() - 40;
    add(&packet[8], 32);
    sum += length + 58;
    add(&packet[40], length);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

TEST(PacketTooBig, AnswersTheSourceWithTheMtuAndTheQuotedPacket) {
    const auto original = test::udp_packet("2001:db8:1::10", "ff1e::1:1", 1400);
    std::vector<uint8_t> out(2048);
    const size_t n =
        build_packet_too_big(original, test::ip("2001:db8:1::1"), 1426, std::span(out));
    ASSERT_EQ(n, 1280u);  // never more than the IPv6 minimum MTU
    out.resize(n);
    EXPECT_EQ(out[0] >> 4, 6);
    EXPECT_EQ(esp::load_be16(&out[4]), 1280 - 40);
    EXPECT_EQ(out[6], 58);
    EXPECT_TRUE(
        std::equal(out.begin() + 8, out.begin() + 24, test::ip("2001:db8:1::1").bytes.begin()));
    EXPECT_TRUE(std::equal(out.begin() + 24, out.begin() + 40, original.begin() + 8));
    EXPECT_EQ(out[40], 2);  // Packet Too Big
    EXPECT_EQ(out[41], 0);
    EXPECT_EQ(esp::load_be32(&out[44]), 1426u);
    EXPECT_TRUE(std::equal(out.begin() + 48, out.end(), original.begin()));
    EXPECT_TRUE(checksum_verifies(out));
}

TEST(PacketTooBig, QuotesASmallPacketWhole) {
    const auto original = test::udp_packet("2001:db8:1::10", "ff1e::1:1", 13);
    std::vector<uint8_t> out(2048);
    const size_t n = build_packet_too_big(original, test::ip("fe80::1"), 1280, std::span(out));
    ASSERT_EQ(n, 48 + original.size());
    out.resize(n);
    EXPECT_TRUE(checksum_verifies(out));
}

TEST(PacketTooBig, OnlyForIpv6AndOnlyIntoRoom) {
    const auto v4 = test::udp_packet("10.1.0.10", "239.1.1.1", 1400);
    std::vector<uint8_t> out(2048);
    EXPECT_EQ(build_packet_too_big(v4, test::ip("10.1.0.1"), 1400, std::span(out)), 0u);
    const auto v6 = test::udp_packet("2001:db8:1::10", "ff1e::1:1", 1400);
    std::vector<uint8_t> small(100);
    EXPECT_EQ(build_packet_too_big(v6, test::ip("2001:db8:1::1"), 1426, std::span(small)), 0u);
}

TEST(ErrorRateLimit, AllowsABurstThenTheRate) {
    ErrorRateLimit limit(10, 3);
    const uint64_t t0 = 5'000'000'000;
    EXPECT_TRUE(limit.allow(t0));
    EXPECT_TRUE(limit.allow(t0));
    EXPECT_TRUE(limit.allow(t0));
    EXPECT_FALSE(limit.allow(t0));
    EXPECT_FALSE(limit.allow(t0 + 50'000'000));  // half a token
    EXPECT_TRUE(limit.allow(t0 + 100'000'000));  // one token after 100 ms at 10/s
    EXPECT_FALSE(limit.allow(t0 + 100'000'000));
    EXPECT_TRUE(limit.allow(t0 + 60'000'000'000));  // refilled, but only to the burst
    EXPECT_TRUE(limit.allow(t0 + 60'000'000'000));
    EXPECT_TRUE(limit.allow(t0 + 60'000'000'000));
    EXPECT_FALSE(limit.allow(t0 + 60'000'000'000));
}

}  // namespace
}  // namespace mcsec::dataplane
