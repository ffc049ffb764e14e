// The PREFIX_ANNOUNCEMENT and PREFIX_ACK wire formats.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "idp_test_support.hpp"
#include "mcsec/control/idp/prefix_messages.hpp"

namespace mcsec::control::idp::test {
namespace {

config::Prefix prefix(const std::string& text) {
    return *config::Prefix::parse(text);
}

PrefixAnnouncement sample_announcement() {
    return PrefixAnnouncement{"bravo",
                              1234,
                              7,
                              {prefix("10.1.0.0/16"), prefix("2001:db8:1::/48"),
                               prefix("0.0.0.0/0"), prefix("192.0.2.5/32")}};
}

// Offset of the prefix count in an announcement from "bravo".
constexpr std::size_t kCountOffset = kHeaderBytes + 1 + 5 + 8 + 8;

TEST(IdpPrefixCodec, AnnouncementRoundTrip) {
    const auto announcement = sample_announcement();
    const auto bytes = encode_prefix_announcement(announcement);
    PrefixAnnouncement parsed;
    ASSERT_EQ(parse_prefix_announcement(bytes, parsed), ParseError::Ok);
    EXPECT_EQ(parsed, announcement);
    EXPECT_EQ(bytes[3], static_cast<std::uint8_t>(MessageType::PrefixAnnouncement));
    EXPECT_EQ((bytes[4] << 8) | bytes[5], static_cast<int>(bytes.size()));
}

TEST(IdpPrefixCodec, EmptyAnnouncementRoundTrip) {
    const PrefixAnnouncement empty{"bravo", 1, 1, {}};
    PrefixAnnouncement parsed;
    ASSERT_EQ(parse_prefix_announcement(encode_prefix_announcement(empty), parsed), ParseError::Ok);
    EXPECT_EQ(parsed, empty);
}

TEST(IdpPrefixCodec, LargestAnnouncementFitsTheMessageLimit) {
    PrefixAnnouncement largest{std::string(32, 'n'), 1, 1, {}};
    for (std::size_t i = 0; i < kMaxPrefixesPerAnnouncement; ++i) {
        std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8};
        bytes[4] = static_cast<std::uint8_t>(i);
        largest.prefixes.push_back(*config::Prefix::make(config::IpAddress::from_v6(bytes), 40));
    }
    const auto bytes = encode_prefix_announcement(largest);
    EXPECT_LE(bytes.size(), kMaxMessageBytes);
    PrefixAnnouncement parsed;
    ASSERT_EQ(parse_prefix_announcement(bytes, parsed), ParseError::Ok);
    EXPECT_EQ(parsed, largest);
}

TEST(IdpPrefixCodec, AckRoundTrip) {
    const PrefixAck ack{"charlie", 0xFFFFFFFFFFFFFFFFULL, 3};
    PrefixAck parsed;
    ASSERT_EQ(parse_prefix_ack(encode_prefix_ack(ack), parsed), ParseError::Ok);
    EXPECT_EQ(parsed, ack);
}

TEST(IdpPrefixCodec, EncoderRefusesWhatTheParserWould) {
    auto too_many = sample_announcement();
    too_many.prefixes.assign(kMaxPrefixesPerAnnouncement + 1, prefix("10.0.0.0/8"));
    EXPECT_THROW(encode_prefix_announcement(too_many), std::invalid_argument);
    auto host_bits = sample_announcement();
    host_bits.prefixes = {prefix("10.1.2.3/16")};
    EXPECT_THROW(encode_prefix_announcement(host_bits), std::invalid_argument);
    EXPECT_THROW(encode_prefix_ack(PrefixAck{"", 1, 1}), std::invalid_argument);
}

TEST(IdpPrefixParse, EveryProperPrefixIsTruncated) {
    const auto announcement = encode_prefix_announcement(sample_announcement());
    const auto ack = encode_prefix_ack(PrefixAck{"charlie", 1, 2});
    for (const auto* message : {&announcement, &ack}) {
        for (std::size_t size = 0; size < message->size(); ++size) {
            const std::vector<std::uint8_t> cut(message->begin(), message->begin() + size);
            PrefixAnnouncement announcement_out;
            PrefixAck ack_out;
            const auto error = message == &ack ? parse_prefix_ack(cut, ack_out)
                                               : parse_prefix_announcement(cut, announcement_out);
            EXPECT_EQ(error, ParseError::Truncated) << "size " << size;
        }
    }
}

TEST(IdpPrefixParse, FieldsInsideTheLengthAreTruncated) {
    // The length field is honest about the bytes present, but the count promises one prefix more.
    auto bytes = encode_prefix_announcement(sample_announcement());
    bytes[kCountOffset + 1] = static_cast<std::uint8_t>(bytes[kCountOffset + 1] + 1);
    PrefixAnnouncement parsed;
    EXPECT_EQ(parse_prefix_announcement(bytes, parsed), ParseError::Truncated);
}

TEST(IdpPrefixParse, TooManyPrefixes) {
    auto bytes = encode_prefix_announcement(sample_announcement());
    bytes[kCountOffset] = 0;
    bytes[kCountOffset + 1] = kMaxPrefixesPerAnnouncement + 1;
    PrefixAnnouncement parsed;
    EXPECT_EQ(parse_prefix_announcement(bytes, parsed), ParseError::TooManyPrefixes);
    bytes[kCountOffset] = 0xFF;
    EXPECT_EQ(parse_prefix_announcement(bytes, parsed), ParseError::TooManyPrefixes);
}

TEST(IdpPrefixParse, BadPrefix) {
    const auto good =
        encode_prefix_announcement(PrefixAnnouncement{"bravo", 1, 1, {prefix("10.1.0.0/16")}});
    const std::size_t family = kCountOffset + 2;
    PrefixAnnouncement parsed;

    auto too_long = good;
    too_long[family + 1] = 33;
    EXPECT_EQ(parse_prefix_announcement(too_long, parsed), ParseError::BadPrefix);

    auto host_bits = good;
    host_bits[family + 2 + 3] = 1;  // 10.1.0.1/16
    EXPECT_EQ(parse_prefix_announcement(host_bits, parsed), ParseError::BadPrefix);

    auto bad_family = good;
    bad_family[family] = 0;
    EXPECT_EQ(parse_prefix_announcement(bad_family, parsed), ParseError::BadAddressFamily);
}

TEST(IdpPrefixParse, HeaderErrors) {
    const auto good = encode_prefix_ack(PrefixAck{"bravo", 1, 1});
    PrefixAck parsed;

    auto magic = good;
    magic[0] = 'X';
    EXPECT_EQ(parse_prefix_ack(magic, parsed), ParseError::BadMagic);
    auto version = good;
    version[2] = 0;
    EXPECT_EQ(parse_prefix_ack(version, parsed), ParseError::UnsupportedVersion);
    auto length = good;
    length[5] = 0;
    EXPECT_EQ(parse_prefix_ack(length, parsed), ParseError::BadLength);

    std::vector<std::uint8_t> oversized(kMaxMessageBytes + 1, 0);
    EXPECT_EQ(parse_prefix_ack(oversized, parsed), ParseError::Oversized);

    // Each parser accepts only its own type.
    PrefixAnnouncement announcement;
    EXPECT_EQ(parse_prefix_announcement(good, announcement), ParseError::WrongType);
    EXPECT_EQ(parse_prefix_ack(encode_prefix_announcement(sample_announcement()), parsed),
              ParseError::WrongType);
}

TEST(IdpPrefixParse, BadNodeId) {
    auto bytes = encode_prefix_ack(PrefixAck{"bravo", 1, 1});
    bytes[kHeaderBytes + 1] = ' ';
    PrefixAck parsed;
    EXPECT_EQ(parse_prefix_ack(bytes, parsed), ParseError::BadNodeId);
}

TEST(IdpPrefixParse, TrailingBytes) {
    PrefixAck parsed;
    // Beyond the length in the header...
    auto beyond = encode_prefix_ack(PrefixAck{"bravo", 1, 1});
    beyond.push_back(0);
    EXPECT_EQ(parse_prefix_ack(beyond, parsed), ParseError::TrailingBytes);
    // ...and inside it, after the last field.
    auto inside = beyond;
    inside[5] = static_cast<std::uint8_t>(inside[5] + 1);
    EXPECT_EQ(parse_prefix_ack(inside, parsed), ParseError::TrailingBytes);
}

}  // namespace
}  // namespace mcsec::control::idp::test
