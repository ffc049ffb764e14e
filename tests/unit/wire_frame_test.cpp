// The control-plane frame every protocol shares (controlplane/wire): header checks in their
// documented order, the signed trailer, the credential field and the size limits.
#include <gtest/gtest.h>

#include <stdexcept>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::wire {
namespace {

constexpr FrameFormat kFormat{'T', 'X', 3, 1, 4, 200};

std::vector<std::uint8_t> signed_frame(const MessageAuthenticator& signer, std::uint8_t type = 2,
                                       std::size_t body_bytes = 5) {
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    const std::size_t start = begin_frame(writer, kFormat, type);
    for (std::size_t i = 0; i < body_bytes; ++i) writer.u8(static_cast<std::uint8_t>(i));
    write_credential(writer, signer.credential(), "test");
    finish_frame(writer, start, kFormat, trailer_bytes(signer.max_signature_size()), "test");
    append_signature(out, signer, kFormat, "test");
    return out;
}

TEST(WireFrame, SignedFrameRoundTrip) {
    const idp::test::TestAuthenticator signer("alpha");
    const auto bytes = signed_frame(signer);
    SignedFrame frame;
    ASSERT_EQ(open_signed_frame(bytes, kFormat, frame), FrameError::Ok);
    EXPECT_EQ(frame.header.type, 2);
    EXPECT_EQ(frame.header.length, frame.signed_bytes.size());
    EXPECT_EQ(frame.signed_bytes.size(), kHeaderBytes + 5 + 2 + signer.credential().size());
    EXPECT_EQ(signer.verify("alpha", signer.credential(), frame.signed_bytes, frame.signature, {}),
              AuthResult::Ok);
    ByteReader body(frame.body);
    ASSERT_TRUE(body.bytes(5));
    std::vector<std::uint8_t> credential;
    ASSERT_EQ(read_credential(body, credential), FrameError::Ok);
    EXPECT_TRUE(std::ranges::equal(credential, signer.credential()));
    EXPECT_EQ(body.remaining(), 0U);
}

TEST(WireFrame, HeaderErrorsInOrder) {
    FrameHeader header;
    // The magic first, even on one byte of another protocol.
    EXPECT_EQ(peek_header(std::vector<std::uint8_t>{'I'}, kFormat, header), FrameError::BadMagic);
    EXPECT_EQ(peek_header(std::vector<std::uint8_t>{'T'}, kFormat, header), FrameError::Truncated);
    EXPECT_EQ(peek_header(std::vector<std::uint8_t>{'T', 'X', 2, 1, 0, 6}, kFormat, header),
              FrameError::UnsupportedVersion);
    EXPECT_EQ(peek_header(std::vector<std::uint8_t>{'T', 'X', 3, 0, 0, 6}, kFormat, header),
              FrameError::UnknownType);
    EXPECT_EQ(peek_header(std::vector<std::uint8_t>{'T', 'X', 3, 5, 0, 6}, kFormat, header),
              FrameError::UnknownType);
    EXPECT_EQ(peek_header(std::vector<std::uint8_t>{'T', 'X', 3, 4, 0, 5}, kFormat, header),
              FrameError::BadLength);
    EXPECT_EQ(peek_header(std::vector<std::uint8_t>{'T', 'X', 3, 4, 0, 201}, kFormat, header),
              FrameError::BadLength);
    ASSERT_EQ(peek_header(std::vector<std::uint8_t>{'T', 'X', 3, 4, 0, 200}, kFormat, header),
              FrameError::Ok);
    EXPECT_EQ(header.type, 4);
    EXPECT_EQ(header.length, 200);
}

TEST(WireFrame, TrailerErrors) {
    const idp::test::TestAuthenticator signer("alpha");
    const auto bytes = signed_frame(signer);
    SignedFrame frame;
    const std::size_t length = (std::size_t{bytes[4]} << 8) | bytes[5];
    // Cut anywhere after the header: before the signed length ends, in the trailer's length or
    // in the signature.
    for (const std::size_t cut : {length - 1, length + 1, bytes.size() - 1}) {
        const std::vector<std::uint8_t> shorter(bytes.begin(), bytes.begin() + cut);
        EXPECT_EQ(open_signed_frame(shorter, kFormat, frame), FrameError::Truncated) << cut;
    }
    auto longer = bytes;
    longer.push_back(0);
    EXPECT_EQ(open_signed_frame(longer, kFormat, frame), FrameError::TrailingBytes);
    auto empty_signature = std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + length);
    empty_signature.push_back(0);
    empty_signature.push_back(0);
    EXPECT_EQ(open_signed_frame(empty_signature, kFormat, frame), FrameError::BadSignatureLength);
    std::vector<std::uint8_t> oversized(201, 'T');
    EXPECT_EQ(open_signed_frame(oversized, kFormat, frame), FrameError::Oversized);
}

TEST(WireFrame, EncodersRefuseWhatCannotFit) {
    const idp::test::TestAuthenticator signer("alpha");
    EXPECT_THROW(signed_frame(signer, 2, 200), std::length_error);
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    EXPECT_THROW(write_credential(writer, std::vector<std::uint8_t>(70'000), "test"),
                 std::length_error);
}

TEST(WireFields, NodeIdsAndAddresses) {
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    write_node_id(writer, "node-1");
    write_node_id(writer, "", true);
    write_address(writer, *config::IpAddress::parse("ff3e::1"));
    EXPECT_THROW(write_node_id(writer, "bad id"), std::invalid_argument);
    EXPECT_THROW(write_node_id(writer, ""), std::invalid_argument);
    ByteReader reader(out);
    NodeId id;
    ASSERT_EQ(read_node_id(reader, id), FieldError::Ok);
    EXPECT_EQ(id, "node-1");
    EXPECT_EQ(read_node_id(reader, id, true), FieldError::Ok);
    EXPECT_TRUE(id.empty());
    config::IpAddress address;
    ASSERT_EQ(read_address(reader, address), FieldError::Ok);
    EXPECT_EQ(address.to_string(), "ff3e::1");
    EXPECT_EQ(read_node_id(reader, id), FieldError::Truncated);

    const std::vector<std::uint8_t> empty_id{0};
    ByteReader strict(empty_id);
    EXPECT_EQ(read_node_id(strict, id), FieldError::BadNodeId);
    const std::vector<std::uint8_t> family{5, 1, 2, 3, 4};
    ByteReader bad_family(family);
    EXPECT_EQ(read_address(bad_family, address), FieldError::BadAddressFamily);
}

}  // namespace
}  // namespace mcsec::control::wire
