// Red-side IGMP/MLD snooping: the parser on hand-built reports (RFC 2236, 3376, 2710, 3810),
// malformed ones, and the membership table.
#include <gtest/gtest.h>

#include "mcsec/dataplane/igmp_mld.hpp"
#include "mcsec/dataplane/membership.hpp"
#include "mcsec/dataplane/membership_query.hpp"
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

namespace mcsec::dataplane {
namespace {

// One's-complement sum over `n` bytes plus `extra`, folded: 0xffff when a checksum verifies.
uint32_t folded_sum(const uint8_t* p, size_t n, uint64_t extra = 0) {
    uint64_t sum = extra;
    for (size_t i = 0; i < n; ++i) sum += (i % 2 == 0) ? uint32_t{p[i]} << 8 : p[i];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint32_t>(sum);
}

TEST(MembershipTable, ALapsesOnlyOnAQueriedPortAfterTheMembershipInterval) {
    MembershipTable table(64, 260);
    const auto group = test::ip("239.1.1.1");
    table.record(0, group, true, 1000);
    table.record(1, group, true, 1000);
    table.queried(0);
    EXPECT_TRUE(table.subscribed(0, group, 1260));
    EXPECT_FALSE(table.subscribed(0, group, 1261));  // silent for longer than the interval
    EXPECT_TRUE(table.subscribed(1, group, 5000));   // port 1 has no querier: no lapse
    table.record(0, group, true, 1250);              // a report in answer to a query
    EXPECT_TRUE(table.subscribed(0, group, 1500));
    table.record(0, group, false, 1501);
    EXPECT_FALSE(table.subscribed(0, group, 1501));
}

TEST(MembershipTable, WithoutAnIntervalNothingLapses) {
    MembershipTable table(64, 0);
    const auto group = test::ip("ff1e::1:1");
    table.record(3, group, true, 10);
    table.queried(3);
    EXPECT_TRUE(table.subscribed(3, group, 1'000'000));
}

TEST(MembershipQuery, IgmpV3GeneralQuery) {
    std::vector<uint8_t> out(64);
    const auto timing = query_timing(125);
    EXPECT_EQ(timing.max_response_ms, 10000u);
    EXPECT_EQ(timing.membership_interval_s(), 260u);  // RFC 3376 8.4 default
    const size_t n = build_igmp_query(test::ip("10.1.0.1"), timing, out);
    ASSERT_EQ(n, 36u);
    EXPECT_EQ(out[0], 0x46);  // router alert option
    EXPECT_EQ(out[8], 1);     // TTL
    EXPECT_EQ(out[9], 2);     // IGMP
    EXPECT_EQ((std::vector<uint8_t>{out[16], out[17], out[18], out[19]}),
              (std::vector<uint8_t>{224, 0, 0, 1}));
    EXPECT_EQ(folded_sum(out.data(), 24), 0xffffu);  // IP header checksum
    const uint8_t* q = out.data() + 24;
    EXPECT_EQ(q[0], 0x11);
    EXPECT_EQ(q[1], 100);  // 10 s in tenths
    EXPECT_EQ(q[8] & 7, 2);
    EXPECT_EQ(q[9], 125);
    EXPECT_EQ(folded_sum(q, 12), 0xffffu);
    // The snooping parser takes it for a membership message that changes nothing.
    std::vector<MembershipChange> changes;
    EXPECT_EQ(parse_membership({out.data(), n}, changes), MembershipParse::Report);
    EXPECT_TRUE(changes.empty());
}

TEST(MembershipQuery, MldV2GeneralQueryFromTheLinkLocalAddress) {
    const MacAddress mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    const auto source = link_local_address(mac);
    EXPECT_EQ(source, test::ip("fe80::11:22ff:fe33:4455"));
    std::vector<uint8_t> out(128);
    const size_t n = build_mld_query(source, query_timing(2), out);
    ASSERT_EQ(n, 76u);
    EXPECT_EQ(out[6], 0);  // hop-by-hop
    EXPECT_EQ(out[7], 1);  // hop limit
    EXPECT_EQ(out[40], 58);
    const uint8_t* q = out.data() + 48;
    EXPECT_EQ(q[0], 130);
    EXPECT_EQ(esp::load_be16(q + 4), 1000);  // half of a 2 s interval
    EXPECT_EQ(q[25], 2);
    // Pseudo-header: addresses, upper-layer length 28, next header 58.
    uint64_t pseudo = 28 + 58;
    for (size_t i = 8; i < 40; i += 2) pseudo += uint32_t{out[i]} << 8 | out[i + 1];
    EXPECT_EQ(folded_sum(q, 28, pseudo), 0xffffu);
}

}  // namespace
}  // namespace mcsec::dataplane
