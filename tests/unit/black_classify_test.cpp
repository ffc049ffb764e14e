// Black-side frame classification: ESP to the fast path, the appliance's own traffic to the
// exception TAP, plaintext multicast dropped.
#include <gtest/gtest.h>

#include "mcsec/dataplane/black_classify.hpp"
#include "test_packets.hpp"

namespace mcsec::dataplane {
namespace {

std::vector<uint8_t> frame(uint16_t ether_type, std::vector<uint8_t> payload) {
    std::vector<uint8_t> f(14 + payload.size(), 0);
    f[12] = static_cast<uint8_t>(ether_type >> 8);
    f[13] = static_cast<uint8_t>(ether_type);
    std::copy(payload.begin(), payload.end(), f.begin() + 14);
    return f;
}

std::vector<uint8_t> ip_frame(std::string_view src, std::string_view dst, uint8_t protocol) {
    auto packet = test::udp_packet(src, dst, 32);
    const bool v4 = (packet[0] >> 4) == 4;
    packet[v4 ? 9 : 6] = protocol;
    return frame(v4 ? 0x0800 : 0x86dd, packet);
}

BlackClassification classify(const std::vector<uint8_t>& f, const ExceptionRules& rules) {
    return classify_black_frame(f.data(), static_cast<uint32_t>(f.size()), rules);
}

const ExceptionRules kTap{true, test::ip("239.192.0.1")};
const ExceptionRules kNoTap{false, test::ip("239.192.0.1")};

TEST(BlackClassify, EspGoesToTheFastPathWhateverTheDestination) {
    EXPECT_EQ(classify(ip_frame("192.0.2.1", "239.255.1.1", 50), kTap).verdict, BlackVerdict::Esp);
    EXPECT_EQ(classify(ip_frame("2001:db8::1", "ff1e::1:1", 50), kTap).verdict, BlackVerdict::Esp);
    EXPECT_EQ(classify(ip_frame("192.0.2.1", "192.0.2.2", 50), kNoTap).verdict, BlackVerdict::Esp);
}

TEST(BlackClassify, OuterFragmentsOfEspAreReassembled) {
    auto v4 = ip_frame("192.0.2.1", "239.255.1.1", 50);
    v4[14 + 6] = 0x20;  // more fragments
    EXPECT_EQ(classify(v4, kTap).verdict, BlackVerdict::EspFragment);
    v4[14 + 6] = 0x00;
    v4[14 + 7] = 0xb9;  // a later fragment (offset 185 * 8)
    EXPECT_EQ(classify(v4, kTap).verdict, BlackVerdict::EspFragment);

    auto v6 = ip_frame("2001:db8::1", "ff1e::1:1", 44);
    v6[14 + 40] = 50;  // the fragment header's next header: ESP
    EXPECT_EQ(classify(v6, kTap).verdict, BlackVerdict::EspFragment);
    v6[14 + 40] = 17;  // a fragment of plaintext UDP to a group: dropped
    EXPECT_EQ(classify(v6, kTap).verdict, BlackVerdict::Drop);
}

TEST(BlackClassify, NeighbourAndMembershipTrafficGoesToTheKernel) {
    EXPECT_EQ(classify(frame(0x0806, std::vector<uint8_t>(28, 0)), kTap).verdict,
              BlackVerdict::Exception);
    EXPECT_EQ(classify(ip_frame("192.0.2.1", "224.0.0.22", 2), kTap).verdict,
              BlackVerdict::Exception);  // IGMPv3 report
    EXPECT_EQ(classify(ip_frame("fe80::1", "ff02::1:ff00:1", 58), kTap).verdict,
              BlackVerdict::Exception);  // neighbour solicitation
    EXPECT_EQ(classify(ip_frame("fe80::1", "ff02::16", 0), kTap).verdict,
              BlackVerdict::Exception);  // MLDv2 behind hop-by-hop
}

TEST(BlackClassify, UnicastToTheApplianceAndDiscoveryGoToTheKernel) {
    EXPECT_EQ(classify(ip_frame("192.0.2.1", "192.0.2.2", 1), kTap).verdict,
              BlackVerdict::Exception);  // ping
    EXPECT_EQ(classify(ip_frame("2001:db8::1", "2001:db8::2", 6), kTap).verdict,
              BlackVerdict::Exception);  // TLS to controld
    EXPECT_EQ(classify(ip_frame("192.0.2.1", "239.192.0.1", 17), kTap).verdict,
              BlackVerdict::Exception);  // IDP hello
}

TEST(BlackClassify, PlaintextMulticastIsDroppedEvenWithATap) {
    const auto c = classify(ip_frame("192.0.2.1", "239.1.1.1", 17), kTap);
    EXPECT_EQ(c.verdict, BlackVerdict::Drop);
    EXPECT_EQ(c.reason, esp::DropReason::NotEsp);
    // TCP to the discovery group is not discovery.
    EXPECT_EQ(classify(ip_frame("192.0.2.1", "239.192.0.1", 6), kTap).verdict, BlackVerdict::Drop);
}

TEST(BlackClassify, WithoutATapNothingReachesTheKernel) {
    const auto arp = classify(frame(0x0806, std::vector<uint8_t>(28, 0)), kNoTap);
    EXPECT_EQ(arp.verdict, BlackVerdict::Drop);
    EXPECT_EQ(arp.reason, esp::DropReason::NotIp);
    const auto ping = classify(ip_frame("192.0.2.1", "192.0.2.2", 1), kNoTap);
    EXPECT_EQ(ping.verdict, BlackVerdict::Drop);
    EXPECT_EQ(ping.reason, esp::DropReason::NotEsp);
}

TEST(BlackClassify, ShortAndForeignFramesAreDropped) {
    const std::vector<uint8_t> runt(10, 0);
    EXPECT_EQ(classify(runt, kTap).verdict, BlackVerdict::Drop);
    EXPECT_EQ(classify(frame(0x88cc, std::vector<uint8_t>(40, 0)), kTap).verdict,
              BlackVerdict::Drop);  // LLDP
    // A truncated IP header is left to the decap stage, which counts it precisely.
    EXPECT_EQ(classify(frame(0x0800, std::vector<uint8_t>(8, 0x45)), kTap).verdict,
              BlackVerdict::Esp);
}

}  // namespace
}  // namespace mcsec::dataplane
