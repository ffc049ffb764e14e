// The registration wire format: round trips of every message, and every parse error provoked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/registration/messages.hpp"
#include "mcsec/control/registration/wire_format.hpp"

namespace mcsec::control::registration {
namespace {

using Bytes = std::vector<std::uint8_t>;

config::IpAddress address(const char* text) {
    return *config::IpAddress::parse(text);
}

Message make(std::variant<RegisterBody, DeleteBody, AckBody, AlarmBody> body,
             const char* group = "239.1.2.3") {
    return Message{.sender = "member-1",
                   .timestamp = 0x0102030405060708ULL,
                   .group = address(group),
                   .body = std::move(body),
                   .credential = {'m', 'e', 'm'}};
}

Message register_message() {
    return make(
        RegisterBody{.tm = "tm-a", .flags = kFlagRefresh | kFlagAckRequired, .lifetime_s = 60});
}
Message delete_message() {
    return make(DeleteBody{.tm = "tm-a", .flags = kFlagAckRequired});
}
Message ack_message() {
    return make(AckBody{.member = "member-2",
                        .reflected_timestamp = 77,
                        .acked = MessageType::Register,
                        .lifetime_s = 30,
                        .epoch = 9,
                        .spi = 0x12345678});
}
Message alarm_message() {
    return make(
        AlarmBody{
            .kind = AlarmKind::ServerConflict, .peer = "tm-b", .spi = 0x100, .detail = "two TMs"},
        "ff0e::1:2");
}

// A signature trailer of `n` bytes after the signed part.
Bytes with_signature(Bytes signed_part, std::size_t n = 4) {
    signed_part.push_back(static_cast<std::uint8_t>(n >> 8));
    signed_part.push_back(static_cast<std::uint8_t>(n));
    for (std::size_t i = 0; i < n; ++i) signed_part.push_back(0xA5);
    return signed_part;
}

ParseError parse_error(const Bytes& datagram) {
    ParsedMessage parsed;
    return parse(datagram, parsed);
}

// Rewrites the header's length after a body edit.
void fix_length(Bytes& signed_part) {
    signed_part[4] = static_cast<std::uint8_t>(signed_part.size() >> 8);
    signed_part[5] = static_cast<std::uint8_t>(signed_part.size());
}

// Offset of the first field after the common part (sender, timestamp, group).
std::size_t body_offset(const Message& message) {
    return kHeaderBytes + 1 + message.sender.size() + 8 + 1 + (message.group.is_v4() ? 4 : 16);
}

class RoundTrip : public ::testing::TestWithParam<Message> {};

TEST_P(RoundTrip, SignedMessageParsesBackAndVerifies) {
    idp::test::TestAuthenticator signer("member-1", 3);
    Message message = GetParam();
    message.credential.assign(signer.credential().begin(), signer.credential().end());
    const auto datagram = encode(message, signer);
    ASSERT_LE(datagram.size(), kMaxMessageBytes);
    ParsedMessage parsed;
    ASSERT_EQ(parse(datagram, parsed), ParseError::Ok);
    EXPECT_EQ(parsed.message, message);
    EXPECT_EQ(parsed.signed_bytes.size(), encode_unsigned(message, 8).size());
    EXPECT_EQ(signer.verify("member-1", parsed.message.credential, parsed.signed_bytes,
                            parsed.signature, {}),
              AuthResult::Ok);
    EXPECT_TRUE(has_registration_magic(datagram));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RoundTrip,
                         ::testing::Values(register_message(), delete_message(), ack_message(),
                                           alarm_message()),
                         [](const ::testing::TestParamInfo<Message>& param_info) {
                             return std::string(to_string(param_info.param.type()));
                         });

TEST(RegistrationCodec, HeaderIsMagicVersionTypeLengthBigEndian) {
    const auto bytes = encode_unsigned(register_message(), 8);
    ASSERT_GE(bytes.size(), kHeaderBytes);
    EXPECT_EQ(bytes[0], 'R');
    EXPECT_EQ(bytes[1], 'G');
    EXPECT_EQ(bytes[2], 1);
    EXPECT_EQ(bytes[3], 1);
    EXPECT_EQ((bytes[4] << 8) | bytes[5], static_cast<int>(bytes.size()));
    // Sender id, then the timestamp big-endian.
    EXPECT_EQ(bytes[6], 8);
    EXPECT_EQ(bytes[15], 0x01);
    EXPECT_EQ(bytes[22], 0x08);
}

TEST(RegistrationCodec, AckOfDeleteCarriesZeroLifetime) {
    auto message =
        make(AckBody{.member = "m", .reflected_timestamp = 1, .acked = MessageType::Delete});
    ParsedMessage parsed;
    ASSERT_EQ(parse(with_signature(encode_unsigned(message, 4)), parsed), ParseError::Ok);
    EXPECT_EQ(parsed.message, message);
}

TEST(RegistrationCodec, EncoderRefusesWhatTheParserWould) {
    auto bad_group = register_message();
    bad_group.group = address("10.0.0.1");
    EXPECT_THROW(encode_unsigned(bad_group, 8), std::invalid_argument);
    EXPECT_THROW(encode_unsigned(make(RegisterBody{.tm = "t", .flags = 0x80, .lifetime_s = 1}), 8),
                 std::invalid_argument);
    EXPECT_THROW(encode_unsigned(make(RegisterBody{.tm = "t", .flags = 0, .lifetime_s = 0}), 8),
                 std::invalid_argument);
    EXPECT_THROW(encode_unsigned(make(DeleteBody{.tm = "t", .flags = kFlagRefresh}), 8),
                 std::invalid_argument);
    EXPECT_THROW(encode_unsigned(make(AckBody{.member = "m", .acked = MessageType::Ack}), 8),
                 std::invalid_argument);
    EXPECT_THROW(
        encode_unsigned(
            make(AckBody{
                .member = "m", .acked = MessageType::Register, .lifetime_s = 5, .spi = 0xff}),
            8),
        std::invalid_argument);
    EXPECT_THROW(encode_unsigned(make(AlarmBody{.kind = AlarmKind::SignFailed,
                                                .peer = "p",
                                                .detail = std::string(201, 'x')}),
                                 8),
                 std::invalid_argument);
    EXPECT_THROW(encode_unsigned(make(DeleteBody{.tm = "bad id!", .flags = 0}), 8),
                 std::invalid_argument);
    auto big = register_message();
    big.credential.assign(1300, 1);
    EXPECT_THROW(encode_unsigned(big, 100), std::length_error);
}

TEST(RegistrationParse, TruncatedAtEveryLength) {
    const auto datagram = with_signature(encode_unsigned(ack_message(), 4));
    for (std::size_t n = 2; n < datagram.size(); ++n) {
        const Bytes prefix(datagram.begin(), datagram.begin() + static_cast<long>(n));
        EXPECT_EQ(parse_error(prefix), ParseError::Truncated) << n;
    }
}

TEST(RegistrationParse, HeaderErrors) {
    const auto good = with_signature(encode_unsigned(register_message(), 4));
    EXPECT_EQ(parse_error(Bytes(kMaxMessageBytes + 1, 'R')), ParseError::Oversized);
    auto bad = good;
    bad[0] = 'I';
    EXPECT_EQ(parse_error(bad), ParseError::BadMagic);
    EXPECT_EQ(parse_error(Bytes{'I', 'D'}), ParseError::BadMagic);
    bad = good;
    bad[1] = 'X';
    EXPECT_EQ(parse_error(bad), ParseError::BadMagic);
    bad = good;
    bad[2] = 2;
    EXPECT_EQ(parse_error(bad), ParseError::UnsupportedVersion);
    for (const int type : {0, 5, 255}) {
        bad = good;
        bad[3] = static_cast<std::uint8_t>(type);
        EXPECT_EQ(parse_error(bad), ParseError::UnknownType);
    }
    bad = good;
    bad[4] = 0;
    bad[5] = 5;
    EXPECT_EQ(parse_error(bad), ParseError::BadLength);
    bad[4] = 0x05;
    bad[5] = 0x79;  // 1401
    EXPECT_EQ(parse_error(bad), ParseError::BadLength);
    EXPECT_EQ(parse_error(Bytes{'R', 'G', 1, 1, 0}), ParseError::Truncated);
}

TEST(RegistrationParse, CommonFieldErrors) {
    const auto message = register_message();
    const auto good = encode_unsigned(message, 4);
    auto bad = good;
    bad[7] = '!';  // inside the sender id
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadNodeId);
    bad = good;
    bad[6] = 0;  // empty sender id
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadNodeId);
    const std::size_t family = kHeaderBytes + 1 + message.sender.size() + 8;
    bad = good;
    bad[family] = 5;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadAddressFamily);
    bad = good;
    bad[family + 1] = 10;  // 10.1.2.3: unicast
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadGroup);
}

TEST(RegistrationParse, RegisterAndDeleteFieldErrors) {
    const auto message = register_message();
    const std::size_t tm_at = body_offset(message);
    const std::size_t flags_at = tm_at + 1 + 4;  // "tm-a"
    auto bad = encode_unsigned(message, 4);
    bad[flags_at] = 0x04;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadFlags);
    bad = encode_unsigned(message, 4);
    for (std::size_t i = 1; i <= 4; ++i) bad[flags_at + i] = 0;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadLifetime);
    bad[flags_at + 1] = 0x01;  // 2^24 s: above one day
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadLifetime);
    bad = encode_unsigned(message, 4);
    bad[tm_at + 1] = ' ';
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadNodeId);

    const auto del = delete_message();
    bad = encode_unsigned(del, 4);
    bad[body_offset(del) + 1 + 4] = kFlagRefresh | kFlagAckRequired;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadFlags);
}

TEST(RegistrationParse, AckFieldErrors) {
    const auto message = ack_message();
    const std::size_t acked_at = body_offset(message) + 1 + 8 + 8;  // "member-2", reflected
    auto bad = encode_unsigned(message, 4);
    bad[acked_at] = static_cast<std::uint8_t>(MessageType::Alarm);
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadAckedType);
    bad = encode_unsigned(message, 4);
    bad[acked_at] = static_cast<std::uint8_t>(MessageType::Delete);  // with a lifetime of 30
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadLifetime);
    bad = encode_unsigned(message, 4);
    const std::size_t spi_at = acked_at + 1 + 4 + 8;
    bad[spi_at] = 0;
    bad[spi_at + 1] = 0;
    bad[spi_at + 2] = 0;
    bad[spi_at + 3] = 0xff;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadSpi);
}

TEST(RegistrationParse, AlarmFieldErrors) {
    const auto message = alarm_message();
    const std::size_t kind_at = body_offset(message);
    auto bad = encode_unsigned(message, 4);
    bad[kind_at] = 0;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadAlarmType);
    bad[kind_at] = 5;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadAlarmType);
    const std::size_t spi_at = kind_at + 1 + 1 + 4;  // "tm-b"
    bad = encode_unsigned(message, 4);
    bad[spi_at + 2] = 0;
    bad[spi_at + 3] = 1;
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadSpi);
    bad = encode_unsigned(message, 4);
    bad[spi_at + 4 + 1] = '\n';  // inside "two TMs"
    EXPECT_EQ(parse_error(with_signature(bad)), ParseError::BadDetail);

    // A detail length above 200 (the bytes being there) is refused too.
    auto long_detail = encode_unsigned(message, 4);
    const std::size_t length_at = spi_at + 4;
    long_detail.erase(long_detail.begin() + static_cast<long>(length_at) + 1,
                      long_detail.begin() + static_cast<long>(length_at) + 1 + 7);
    long_detail[length_at] = 201;
    long_detail.insert(long_detail.begin() + static_cast<long>(length_at) + 1, 201, 'x');
    fix_length(long_detail);
    EXPECT_EQ(parse_error(with_signature(long_detail)), ParseError::BadDetail);
}

TEST(RegistrationParse, TrailerErrors) {
    const auto signed_part = encode_unsigned(delete_message(), 4);
    EXPECT_EQ(parse_error(with_signature(signed_part, 0)), ParseError::BadSignatureLength);
    auto trailing = with_signature(signed_part);
    trailing.push_back(0);
    EXPECT_EQ(parse_error(trailing), ParseError::TrailingBytes);
    // A header length that takes in a byte after the credential leaves it over.
    auto short_length = signed_part;
    short_length.push_back(0);
    fix_length(short_length);
    EXPECT_EQ(parse_error(with_signature(short_length)), ParseError::TrailingBytes);
}

TEST(RegistrationParse, EveryErrorHasText) {
    for (std::size_t i = 0; i < kParseErrorCount; ++i) {
        EXPECT_FALSE(to_string(static_cast<ParseError>(i)).empty());
        EXPECT_NE(to_string(static_cast<ParseError>(i)), "unknown parse error");
    }
}

}  // namespace
}  // namespace mcsec::control::registration

namespace mcsec::control::registration {
namespace {

// The fuzz seeds named valid_* are well-formed messages; every other seed must be refused.
TEST(RegistrationCorpus, SeedsParseAsTheirNamesSay) {
    std::size_t seeds = 0;
    for (const auto& entry : std::filesystem::directory_iterator(MCSEC_REGISTRATION_CORPUS_DIR)) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
        ParsedMessage parsed;
        const bool valid = entry.path().filename().string().starts_with("valid_");
        EXPECT_EQ(parse(bytes, parsed) == ParseError::Ok, valid) << entry.path();
        ++seeds;
    }
    EXPECT_GE(seeds, 4u);
}

}  // namespace
}  // namespace mcsec::control::registration
