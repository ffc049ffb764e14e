// The HELLO wire format: round trips, the signature's coverage, and every parse error.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "idp_test_support.hpp"
#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/prefix_messages.hpp"
#include "mcsec/control/idp/wire_format.hpp"

namespace mcsec::control::idp::test {
namespace {

// Offsets in a hello from node "bravo" (5 characters).
constexpr std::size_t kNodeIdLengthOffset = kHeaderBytes;
constexpr std::size_t kNodeIdOffset = kNodeIdLengthOffset + 1;
constexpr std::size_t kFamilyOffset = kNodeIdOffset + 5;

ParseError parse(const std::vector<std::uint8_t>& bytes) {
    ParsedHello parsed;
    return parse_hello(bytes, parsed);
}

std::uint16_t header_length(const std::vector<std::uint8_t>& bytes) {
    return static_cast<std::uint16_t>((bytes[4] << 8) | bytes[5]);
}

// A hello whose signed part is `unsigned_part`, with a well-formed signature trailer.
std::vector<std::uint8_t> with_trailer(std::vector<std::uint8_t> unsigned_part,
                                       const TestAuthenticator& signer) {
    const auto signature = signer.sign(unsigned_part);
    unsigned_part.push_back(0);
    unsigned_part.push_back(static_cast<std::uint8_t>(signature.size()));
    unsigned_part.insert(unsigned_part.end(), signature.begin(), signature.end());
    return unsigned_part;
}

TEST(IdpHelloCodec, RoundTripIPv4) {
    const TestAuthenticator bravo("bravo", 16);
    const Hello hello{"bravo",
                      v4(192, 0, 2, 7),
                      1'700'000'000'123ULL,
                      42,
                      {},
                      {bravo.credential().begin(), bravo.credential().end()}};
    const auto bytes = encode_hello(hello, bravo);

    ParsedHello parsed;
    ASSERT_EQ(parse_hello(bytes, parsed), ParseError::Ok);
    EXPECT_EQ(parsed.hello, hello);
    // The signature covers exactly the bytes the length field counts, then follows them.
    EXPECT_EQ(parsed.signed_bytes.size(), header_length(bytes));
    EXPECT_EQ(parsed.signed_bytes.data(), bytes.data());
    const auto expected_signature = bravo.sign(parsed.signed_bytes);
    EXPECT_TRUE(std::equal(parsed.signature.begin(), parsed.signature.end(),
                           expected_signature.begin(), expected_signature.end()));
    EXPECT_EQ(bytes.size(), header_length(bytes) + 2 + TestAuthenticator::kSignatureBytes);
}

TEST(IdpHelloCodec, ServedGroupsRoundTripAndAreSigned) {
    const TestAuthenticator bravo("bravo", 16);
    const Hello hello{"bravo",
                      v4(192, 0, 2, 7),
                      5,
                      6,
                      {"239.1.1.1", "239.1.1.2", "ff3e::1"},
                      {bravo.credential().begin(), bravo.credential().end()}};
    const auto bytes = encode_hello(hello, bravo);
    ParsedHello parsed;
    ASSERT_EQ(parse_hello(bytes, parsed), ParseError::Ok);
    EXPECT_EQ(parsed.hello.groups, hello.groups);
    // The list lies inside what the signature covers.
    const std::string text(bytes.begin(), bytes.begin() + header_length(bytes));
    EXPECT_NE(text.find("239.1.1.2"), std::string::npos);
}

TEST(IdpHelloCodec, EncoderRefusesUnsortedOrOversizedGroupLists) {
    const TestAuthenticator bravo("bravo", 16);
    Hello hello{"bravo", v4(192, 0, 2, 7), 5, 6, {"239.1.1.2", "239.1.1.1"}, {}};
    EXPECT_THROW((void)encode_hello(hello, bravo), std::invalid_argument);
    hello.groups = {std::string(65, 'g')};
    EXPECT_THROW((void)encode_hello(hello, bravo), std::length_error);
    hello.groups.clear();
    for (int i = 0; i < 65; ++i) hello.groups.push_back("g" + std::to_string(100 + i));
    EXPECT_THROW((void)encode_hello(hello, bravo), std::length_error);
}

TEST(IdpHelloCodec, ParserRefusesBadGroupLists) {
    const TestAuthenticator bravo("bravo", 0);
    const auto good = encode_hello(Hello{"bravo", v4(10, 0, 0, 1), 1, 1, {"a", "b"}, {}}, bravo);
    // The list starts after node id (1 + 5), address (1 + 4), timestamp and sequence (16).
    const std::size_t list = kHeaderBytes + 6 + 5 + 16;
    ASSERT_EQ(good[list], 2);
    ASSERT_EQ(good[list + 1], 1);
    ASSERT_EQ(good[list + 2], 'a');
    ParsedHello parsed;
    auto repeated = good;
    repeated[list + 4] = 'a';  // "a", "a": not strictly sorted
    EXPECT_EQ(parse_hello(repeated, parsed), ParseError::BadGroupList);
    auto empty_name = good;
    empty_name[list + 1] = 0;
    EXPECT_EQ(parse_hello(empty_name, parsed), ParseError::BadGroupList);
    auto too_many = good;
    too_many[list] = 65;
    EXPECT_EQ(parse_hello(too_many, parsed), ParseError::BadGroupList);
}

TEST(IdpHelloCodec, RoundTripIPv6WithoutCredential) {
    const TestAuthenticator psk_node("node_6-x", 0);  // PSK style: no credential
    const auto address = *config::IpAddress::parse("2001:db8::17");
    const Hello hello{"node_6-x", address, 1, 1, {}, {}};
    const auto bytes = encode_hello(hello, psk_node);
    ParsedHello parsed;
    ASSERT_EQ(parse_hello(bytes, parsed), ParseError::Ok);
    EXPECT_EQ(parsed.hello, hello);
    EXPECT_TRUE(parsed.hello.black_address.is_v6());
}

TEST(IdpHelloCodec, FieldsAreBigEndian) {
    const TestAuthenticator bravo("bravo", 0);
    const auto bytes = encode_hello(
        Hello{"bravo", v4(10, 0, 0, 1), 0x0102030405060708ULL, 0x1112131415161718ULL, {}, {}},
        bravo);
    EXPECT_EQ(bytes[0], 'I');
    EXPECT_EQ(bytes[1], 'D');
    EXPECT_EQ(bytes[2], 2);  // version
    EXPECT_EQ(bytes[3], 1);  // HELLO
    EXPECT_EQ(bytes[kFamilyOffset], 4);
    const std::size_t timestamp_offset = kFamilyOffset + 1 + 4;
    for (std::size_t i = 0; i < 8; ++i) {
        EXPECT_EQ(bytes[timestamp_offset + i], i + 1);
        EXPECT_EQ(bytes[timestamp_offset + 8 + i], 0x11 + i);
    }
}

TEST(IdpHelloCodec, CertificateSizedCredentialFits) {
    const TestAuthenticator bravo("bravo", 600);
    const auto bytes = signed_hello(bravo, 1, 1);
    ParsedHello parsed;
    ASSERT_EQ(parse_hello(bytes, parsed), ParseError::Ok);
    EXPECT_EQ(parsed.hello.credential.size(), 600U);
}

TEST(IdpHelloCodec, EncoderRefusesWhatCannotFit) {
    const TestAuthenticator bravo("bravo", kMaxMessageBytes);
    EXPECT_THROW(signed_hello(bravo, 1, 1), std::length_error);
    // Exactly at the limit is fine, one byte more is not.
    const Hello probe{"bravo", v4(10, 0, 0, 1), 1, 1, {}, {}};
    const std::size_t fixed = encode_hello_unsigned(probe, 0).size() + 2;
    Hello largest = probe;
    largest.credential.assign(kMaxMessageBytes - fixed - 8, 0xAB);
    EXPECT_EQ(encode_hello_unsigned(largest, 8).size() + 2 + 8, kMaxMessageBytes);
    largest.credential.push_back(0xAB);
    EXPECT_THROW(encode_hello_unsigned(largest, 8), std::length_error);
}

TEST(IdpHelloCodec, EncoderRefusesInvalidNodeId) {
    const Hello hello{"not valid", v4(10, 0, 0, 1), 1, 1, {}, {}};
    EXPECT_THROW(encode_hello_unsigned(hello, 8), std::invalid_argument);
}

TEST(IdpHelloParse, EveryProperPrefixIsTruncated) {
    const TestAuthenticator bravo("bravo", 20);
    const auto bytes = signed_hello(bravo, 5, 6);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + size);
        EXPECT_EQ(parse(prefix), ParseError::Truncated) << "size " << size;
    }
}

TEST(IdpHelloParse, Oversized) {
    std::vector<std::uint8_t> bytes(kMaxMessageBytes + 1, 0);
    bytes[0] = 'I';
    bytes[1] = 'D';
    EXPECT_EQ(parse(bytes), ParseError::Oversized);
}

TEST(IdpHelloParse, BadMagic) {
    const TestAuthenticator bravo("bravo");
    auto bytes = signed_hello(bravo, 1, 1);
    bytes[1] = 'X';
    EXPECT_EQ(parse(bytes), ParseError::BadMagic);
    // Even a one-byte datagram of another protocol is recognised as foreign.
    EXPECT_EQ(parse({0x45}), ParseError::BadMagic);
}

TEST(IdpHelloParse, UnsupportedVersion) {
    const TestAuthenticator bravo("bravo");
    auto bytes = signed_hello(bravo, 1, 1);
    bytes[2] = 1;  // a version 1 peer, whose hellos carry no served groups
    EXPECT_EQ(parse(bytes), ParseError::UnsupportedVersion);
    bytes[2] = 3;
    EXPECT_EQ(parse(bytes), ParseError::UnsupportedVersion);
}

TEST(IdpHelloParse, WrongType) {
    const TestAuthenticator bravo("bravo");
    auto bytes = signed_hello(bravo, 1, 1);
    bytes[3] = 0;
    EXPECT_EQ(parse(bytes), ParseError::WrongType);
    bytes[3] = 200;
    EXPECT_EQ(parse(bytes), ParseError::WrongType);
    // A well-formed message of another IDP type is not a hello either.
    EXPECT_EQ(parse(encode_prefix_ack(PrefixAck{"bravo", 1, 1})), ParseError::WrongType);
}

TEST(IdpHelloParse, BadLength) {
    const TestAuthenticator bravo("bravo");
    auto bytes = signed_hello(bravo, 1, 1);
    bytes[4] = 0;
    bytes[5] = kHeaderBytes - 1;
    EXPECT_EQ(parse(bytes), ParseError::BadLength);
    bytes[4] = static_cast<std::uint8_t>((kMaxMessageBytes + 1) >> 8);
    bytes[5] = static_cast<std::uint8_t>(kMaxMessageBytes + 1);
    EXPECT_EQ(parse(bytes), ParseError::BadLength);
}

TEST(IdpHelloParse, BadNodeId) {
    const TestAuthenticator bravo("bravo");
    const auto good = signed_hello(bravo, 1, 1);

    auto bad_character = good;
    bad_character[kNodeIdOffset + 2] = '.';
    EXPECT_EQ(parse(bad_character), ParseError::BadNodeId);

    auto empty = good;
    empty[kNodeIdLengthOffset] = 0;
    EXPECT_EQ(parse(empty), ParseError::BadNodeId);

    auto too_long = good;
    too_long[kNodeIdLengthOffset] = 33;
    EXPECT_EQ(parse(too_long), ParseError::BadNodeId);
}

TEST(IdpHelloParse, BadAddressFamily) {
    const TestAuthenticator bravo("bravo");
    auto bytes = signed_hello(bravo, 1, 1);
    ASSERT_EQ(bytes[kFamilyOffset], 4);
    bytes[kFamilyOffset] = 5;
    EXPECT_EQ(parse(bytes), ParseError::BadAddressFamily);
}

TEST(IdpHelloParse, BadAddress) {
    const TestAuthenticator bravo("bravo");
    EXPECT_EQ(parse(signed_hello(bravo, 1, 1, v4(239, 1, 1, 1))), ParseError::BadAddress);
    EXPECT_EQ(parse(signed_hello(bravo, 1, 1, v4(0, 0, 0, 0))), ParseError::BadAddress);
    EXPECT_EQ(parse(signed_hello(bravo, 1, 1, *config::IpAddress::parse("ff05::1"))),
              ParseError::BadAddress);
}

TEST(IdpHelloParse, CredentialLongerThanBodyIsTruncated) {
    const TestAuthenticator bravo("bravo", 4);
    auto unsigned_part =
        encode_hello_unsigned(Hello{"bravo", v4(10, 0, 0, 1), 1, 1, {}, {'b', 'r', 'a', 'v'}}, 8);
    // The credential length sits just before the 4 credential bytes.
    unsigned_part[unsigned_part.size() - 5] = 5;
    EXPECT_EQ(parse(with_trailer(unsigned_part, bravo)), ParseError::Truncated);
}

TEST(IdpHelloParse, EmptySignature) {
    const TestAuthenticator bravo("bravo", 0);
    auto bytes = encode_hello_unsigned(Hello{"bravo", v4(10, 0, 0, 1), 1, 1, {}, {}}, 8);
    bytes.push_back(0);
    bytes.push_back(0);
    EXPECT_EQ(parse(bytes), ParseError::BadSignatureLength);
}

TEST(IdpHelloParse, TrailingBytesAfterSignature) {
    const TestAuthenticator bravo("bravo");
    auto bytes = signed_hello(bravo, 1, 1);
    bytes.push_back(0);
    EXPECT_EQ(parse(bytes), ParseError::TrailingBytes);
}

TEST(IdpHelloParse, TrailingBytesInsideTheBody) {
    const TestAuthenticator bravo("bravo", 0);
    auto unsigned_part = encode_hello_unsigned(Hello{"bravo", v4(10, 0, 0, 1), 1, 1, {}, {}}, 8);
    unsigned_part.push_back(0x99);
    unsigned_part[5] = static_cast<std::uint8_t>(unsigned_part[5] + 1);  // length counts it
    EXPECT_EQ(parse(with_trailer(unsigned_part, bravo)), ParseError::TrailingBytes);
}

TEST(IdpParseErrors, EveryErrorHasItsOwnText) {
    std::set<std::string> texts;
    for (std::size_t i = 0; i < kParseErrorCount; ++i) {
        const auto text = to_string(static_cast<ParseError>(i));
        EXPECT_FALSE(text.empty());
        texts.emplace(text);
    }
    EXPECT_EQ(texts.size(), kParseErrorCount);
}

TEST(IdpHeader, FramesConsecutiveMessagesOnAStream) {
    auto stream = encode_prefix_ack(PrefixAck{"bravo", 1, 2});
    const auto first_size = stream.size();
    const auto second = encode_prefix_announcement(PrefixAnnouncement{"bravo", 1, 3, {}});
    stream.insert(stream.end(), second.begin(), second.end());

    MessageHeader header;
    ASSERT_EQ(peek_header(stream, header), ParseError::Ok);
    EXPECT_EQ(header.type, MessageType::PrefixAck);
    EXPECT_EQ(header.length, first_size);
    ASSERT_EQ(peek_header(std::span(stream).subspan(first_size), header), ParseError::Ok);
    EXPECT_EQ(header.type, MessageType::PrefixAnnouncement);
    EXPECT_EQ(header.length, second.size());
    EXPECT_EQ(peek_header(std::span(stream).first(kHeaderBytes - 1), header),
              ParseError::Truncated);
}

}  // namespace
}  // namespace mcsec::control::idp::test
