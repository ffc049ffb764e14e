#include <gtest/gtest.h>

#include <string>

#include "mcsec/config/ip_address.hpp"

namespace mcsec::config {
namespace {

TEST(ConfigIpAddress, ParsesBothFamiliesCanonically) {
    const auto v4 = IpAddress::parse("239.1.2.3");
    ASSERT_TRUE(v4);
    EXPECT_TRUE(v4->is_v4());
    EXPECT_EQ(v4->bytes().size(), 4U);
    EXPECT_EQ(v4->bit_length(), 32U);
    EXPECT_EQ(v4->to_string(), "239.1.2.3");

    const auto v6 = IpAddress::parse("FF3E:0:0::0001:0001");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->is_v6());
    EXPECT_EQ(v6->bytes().size(), 16U);
    EXPECT_EQ(v6->to_string(), "ff3e::1:1");
}

TEST(ConfigIpAddress, RejectsWhatInetPtonRejects) {
    for (const std::string& text : std::initializer_list<std::string>{
             "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4x", " 1.2.3.4", "[::1]",
             "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "hello", std::string("1.2.3.4\0", 8),
             std::string(100, '1')}) {
        EXPECT_FALSE(IpAddress::parse(text)) << text;
    }
}

TEST(ConfigIpAddress, Multicast) {
    EXPECT_TRUE(IpAddress::parse("224.0.0.1")->is_multicast());
    EXPECT_TRUE(IpAddress::parse("239.255.255.255")->is_multicast());
    EXPECT_FALSE(IpAddress::parse("223.255.255.255")->is_multicast());
    EXPECT_FALSE(IpAddress::parse("240.0.0.1")->is_multicast());
    EXPECT_TRUE(IpAddress::parse("ff02::1")->is_multicast());
    EXPECT_FALSE(IpAddress::parse("fe80::1")->is_multicast());
    EXPECT_TRUE(IpAddress::parse("0.0.0.0")->is_unspecified());
    EXPECT_TRUE(IpAddress::parse("::")->is_unspecified());
}

TEST(ConfigIpAddress, ComparesFamilyAndBytes) {
    EXPECT_EQ(IpAddress::parse("10.0.0.1"), IpAddress::from_v4({10, 0, 0, 1}));
    // ::a00:1 has the same leading bytes as nothing IPv4; family alone must keep them apart.
    EXPECT_NE(*IpAddress::parse("0.0.0.0"), *IpAddress::parse("::"));
    EXPECT_LT(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"));
}

TEST(ConfigPrefix, ParsesWithAndWithoutLength) {
    auto prefix = Prefix::parse("10.1.0.1/24");
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->length(), 24U);
    EXPECT_EQ(prefix->to_string(), "10.1.0.1/24");
    EXPECT_TRUE(prefix->has_host_bits());
    EXPECT_EQ(prefix->network().to_string(), "10.1.0.0/24");

    prefix = Prefix::parse("2001:db8::1");
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->length(), 128U);
    EXPECT_FALSE(prefix->has_host_bits());

    prefix = Prefix::parse("2001:db8:ffff::/33");
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->network().to_string(), "2001:db8:8000::/33");
    EXPECT_EQ(Prefix::parse("0.0.0.0/0")->network().to_string(), "0.0.0.0/0");
}

TEST(ConfigPrefix, ExplainsFailures) {
    std::string why;
    EXPECT_FALSE(Prefix::parse("10.0.0.0/33", &why));
    EXPECT_EQ(why, "prefix length 33 is too long (IPv4 allows 0..32)");
    EXPECT_FALSE(Prefix::parse("10.0.0.0/", &why));
    EXPECT_EQ(why, "'' is not a prefix length (IPv4 allows 0..32)");
    EXPECT_FALSE(Prefix::parse("10.0.0.0/-1", &why));
    EXPECT_FALSE(Prefix::parse("10.0.0.0/8/8", &why));
    EXPECT_FALSE(Prefix::parse("10.0.0/8", &why));
    EXPECT_EQ(why, "'10.0.0' is not an IPv4 or IPv6 address");
    EXPECT_FALSE(Prefix::parse("/8"));
}

TEST(ConfigPrefix, Contains) {
    const auto prefix = *Prefix::parse("10.1.0.0/16");
    EXPECT_TRUE(prefix.contains(*IpAddress::parse("10.1.255.7")));
    EXPECT_FALSE(prefix.contains(*IpAddress::parse("10.2.0.1")));
    EXPECT_FALSE(prefix.contains(*IpAddress::parse("::a01:1")));
    EXPECT_TRUE(Prefix::parse("::/0")->contains(*IpAddress::parse("ff02::1")));
}

}  // namespace
}  // namespace mcsec::config
