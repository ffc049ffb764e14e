// Red-side IGMP/MLD snooping: the parser on hand-built reports (RFC 2236, 3376, 2710, 3810),
// malformed ones, and the membership table.
#include <gtest/gtest.h>

#include "mcsec/dataplane/igmp_mld.hpp"
#include "mcsec/dataplane/membership.hpp"
#include "mcsec/esp/byte_order.hpp"
#include "test_packets.hpp"

namespace mcsec::dataplane {
namespace {

std::vector<uint8_t> ipv4(uint8_t protocol, std::vector<uint8_t> payload) {
    std::vector<uint8_t> p(24 + payload.size());
    p[0] = 0x46;  // IHL 6: router alert option
    esp::store_be16(&p[2], static_cast<uint16_t>(p.size()));
    p[8] = 1;
    p[9] = protocol;
    const uint8_t src[4] = {10, 1, 0, 10}, dst[4] = {224, 0, 0, 22};
    std::copy(src, src + 4, &p[12]);
    std::copy(dst, dst + 4, &p[16]);
    p[20] = 0x94;
    p[21] = 0x04;
    std::copy(payload.begin(), payload.end(), p.begin() + 24);
    return p;
}

std::vector<uint8_t> ipv6_mld(std::vector<uint8_t> icmp) {
    std::vector<uint8_t> p(40 + 8 + icmp.size());
    p[0] = 0x60;
    esp::store_be16(&p[4], static_cast<uint16_t>(8 + icmp.size()));
    p[6] = 0;  // hop-by-hop
    p[7] = 1;
    const auto src = test::ip("fe80::1"), dst = test::ip("ff02::16");
    std::copy(src.bytes.begin(), src.bytes.end(), &p[8]);
    std::copy(dst.bytes.begin(), dst.bytes.end(), &p[24]);
    const uint8_t hbh[8] = {58, 0, 5, 2, 0, 0, 1, 0};  // next: ICMPv6; router alert; PadN
    std::copy(hbh, hbh + 8, &p[40]);
    std::copy(icmp.begin(), icmp.end(), p.begin() + 48);
    return p;
}

std::vector<uint8_t> v3_record(uint8_t type, const esp::IpAddress& group, bool v6,
                               uint16_t sources = 0) {
    const size_t address_length = v6 ? 16 : 4;
    std::vector<uint8_t> r(4 + address_length * (1 + sources), 7);
    r[0] = type;
    r[1] = 0;
    esp::store_be16(&r[2], sources);
    const uint8_t* a = v6 ? group.bytes.data() : group.v4_bytes();
    for (size_t i = 0; i < address_length; ++i) r[4 + i] = a[i];
    return r;
}

TEST(IgmpMld, Igmpv2ReportAndLeave) {
    std::vector<MembershipChange> changes;
    auto report = ipv4(2, {0x16, 0, 0, 0, 239, 1, 1, 1});
    EXPECT_EQ(parse_membership(report, changes), MembershipParse::Report);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].group, test::ip("239.1.1.1"));
    EXPECT_TRUE(changes[0].joined);
    auto leave = ipv4(2, {0x17, 0, 0, 0, 239, 1, 1, 1});
    EXPECT_EQ(parse_membership(leave, changes), MembershipParse::Report);
    EXPECT_FALSE(changes.back().joined);
}

TEST(IgmpMld, Igmpv3RecordsJoinAndLeave) {
    std::vector<uint8_t> msg = {0x22, 0, 0, 0, 0, 0, 0, 3};
    for (auto r : {v3_record(4, test::ip("239.1.1.1"), false),      // CHANGE_TO_EXCLUDE {}: join
                   v3_record(3, test::ip("239.2.2.2"), false),      // CHANGE_TO_INCLUDE {}: leave
                   v3_record(1, test::ip("239.3.3.3"), false, 2)})  // INCLUDE {2 sources}: join
        msg.insert(msg.end(), r.begin(), r.end());
    std::vector<MembershipChange> changes;
    EXPECT_EQ(parse_membership(ipv4(2, msg), changes), MembershipParse::Report);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_TRUE(changes[0].joined);
    EXPECT_FALSE(changes[1].joined);
    EXPECT_TRUE(changes[2].joined);
    EXPECT_EQ(changes[2].group, test::ip("239.3.3.3"));
}

TEST(IgmpMld, Mldv2AndMldv1) {
    std::vector<uint8_t> msg = {143, 0, 0, 0, 0, 0, 0, 1};
    auto r = v3_record(4, test::ip("ff1e::1:1"), true);
    msg.insert(msg.end(), r.begin(), r.end());
    std::vector<MembershipChange> changes;
    EXPECT_EQ(parse_membership(ipv6_mld(msg), changes), MembershipParse::Report);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].group, test::ip("ff1e::1:1"));
    std::vector<uint8_t> done = {132, 0, 0, 0, 0, 0, 0, 0};
    const auto g = test::ip("ff1e::1:1");
    done.insert(done.end(), g.bytes.begin(), g.bytes.end());
    EXPECT_EQ(parse_membership(ipv6_mld(done), changes), MembershipParse::Report);
    EXPECT_FALSE(changes.back().joined);
}

TEST(IgmpMld, MalformedAndOtherPackets) {
    std::vector<MembershipChange> changes;
    // A record claiming more sources than the packet holds.
    std::vector<uint8_t> msg = {0x22, 0, 0, 0, 0, 0, 0, 1};
    auto r = v3_record(4, test::ip("239.1.1.1"), false);
    r[3] = 200;
    msg.insert(msg.end(), r.begin(), r.end());
    EXPECT_EQ(parse_membership(ipv4(2, msg), changes), MembershipParse::Malformed);
    EXPECT_EQ(parse_membership(ipv4(2, {0x16, 0, 0}), changes), MembershipParse::Malformed);
    EXPECT_EQ(parse_membership(ipv4(2, {0x16, 0, 0, 0, 10, 0, 0, 1}), changes),
              MembershipParse::Malformed);  // not a group
    EXPECT_EQ(parse_membership(test::udp_packet("10.1.0.1", "239.1.1.1", 8), changes),
              MembershipParse::NotMembership);
    std::vector<uint8_t> neighbour = {135, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(parse_membership(ipv6_mld(neighbour), changes), MembershipParse::NotMembership);
    EXPECT_TRUE(changes.empty());
}

TEST(IgmpMld, AMalformedRecordVoidsTheWholeMessage) {
    std::vector<uint8_t> msg = {0x22, 0, 0, 0, 0, 0, 0, 2};
    auto good = v3_record(4, test::ip("239.1.1.1"), false);
    auto bad = v3_record(4, test::ip("239.2.2.2"), false);
    bad[3] = 50;  // claims 50 sources
    msg.insert(msg.end(), good.begin(), good.end());
    msg.insert(msg.end(), bad.begin(), bad.end());
    std::vector<MembershipChange> changes;
    EXPECT_EQ(parse_membership(ipv4(2, msg), changes), MembershipParse::Malformed);
    EXPECT_TRUE(changes.empty());
}

TEST(MembershipTable, PerPortJoinAndLeave) {
    MembershipTable t(8);
    const auto g = test::ip("239.1.1.1");
    EXPECT_TRUE(t.subscribed(0, g)) << "a port that never reported gets every group";
    t.record(0, g, true);
    t.record(2, g, true);
    t.record(1, test::ip("239.7.7.7"), true);
    EXPECT_TRUE(t.subscribed(0, g));
    EXPECT_FALSE(t.subscribed(1, g)) << "port 1 reported, but not this group";
    EXPECT_TRUE(t.subscribed(3, g)) << "port 3 never reported";
    EXPECT_TRUE(t.subscribed(2, g));
    t.record(0, g, false);
    EXPECT_FALSE(t.subscribed(0, g));
    EXPECT_TRUE(t.subscribed(2, g));
    EXPECT_FALSE(t.subscribed(0, test::ip("ff1e::1")));
}

TEST(MembershipTable, OverflowDeliversEverywhereRatherThanDropping) {
    MembershipTable t(2);  // 4 entries
    for (uint8_t i = 0; i < 10; ++i) {
        const uint8_t a[4] = {239, 0, 0, i};
        t.record(0, esp::IpAddress::from_v4(a), true);
    }
    EXPECT_TRUE(t.overflowed());
    EXPECT_TRUE(t.subscribed(5, test::ip("239.9.9.9")));
}

}  // namespace
}  // namespace mcsec::dataplane
