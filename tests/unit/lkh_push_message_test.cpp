// LKH push messages on the wire: round trip, signatures, and every parse error.
#include <gtest/gtest.h>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/lkh/key_server.hpp"
#include "mcsec/control/lkh/push_message.hpp"
#include "mcsec/control/lkh/receiver_keys.hpp"

namespace mcsec::control::lkh {
namespace {

using idp::test::TestAuthenticator;

const std::vector<std::uint8_t> kGroup = {'g', '1'};
const auto kNow = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);

struct Fixture {
    KeyServer server = *KeyServer::create(*TreeShape::of(4, 3), kGroup);
    std::vector<Admission> admitted;
    PushContent push;

    Fixture() {
        for (int i = 0; i < 10; ++i) admitted.push_back(*server.admit());
        std::vector<PushContent> messages;
        EXPECT_EQ(server.flush(Tek{1, 0x1234, std::vector<std::uint8_t>(36, 9)}, messages),
                  FlushError::Ok);
        EXPECT_EQ(messages.size(), 1u);
        push = messages.front();
    }
};

TEST(LkhPushMessage, RoundTripsAndVerifiesUnderTheSendersSignature) {
    Fixture f;
    TestAuthenticator sender("site-a");
    const auto bytes = encode_push(f.push, sender);
    ParsedPush parsed;
    ASSERT_EQ(parse_push(bytes, parsed), PushParseError::Ok);
    EXPECT_EQ(parsed.sender, "site-a");
    EXPECT_EQ(parsed.content.message_id, f.push.message_id);
    EXPECT_EQ(parsed.content.keys.size(), f.push.keys.size());
    EXPECT_EQ(parsed.content.root_version, f.push.root_version);
    ASSERT_TRUE(parsed.content.tek);
    EXPECT_EQ(parsed.content.tek->wrapped, f.push.tek->wrapped);
    EXPECT_EQ(sender.verify(parsed.sender, parsed.credential, parsed.signed_bytes, parsed.signature,
                            kNow),
              AuthResult::Ok);
    // A receiver gets the TEK from the parsed message.
    auto receiver = *ReceiverKeys::create(kGroup, f.server.shape(), f.admitted[3].leaf,
                                          f.admitted[3].individual_key.view());
    EXPECT_EQ(receiver.apply(parsed.content), ApplyResult::Updated);
    ASSERT_TRUE(receiver.tek());
    EXPECT_EQ(receiver.tek()->spi, 0x1234u);
    // 45 bytes per wrapped seed, 5 per chained one, 48 for the TEK: the sizes lkh.md gives.
    std::size_t entries = 0;
    for (const WrappedKey& key : f.push.keys) entries += key.chained ? 5 : 45;
    EXPECT_EQ(bytes.size(), 6 + 1 + kGroup.size() + 1 + 6 + 8 + 8 + 1 + 1 + 8 + 2 + entries + 1 +
                                8 + 4 + 1 + 48 + 2 + sender.credential().size() + 2 +
                                TestAuthenticator::kSignatureBytes);
}

TEST(LkhPushMessage, AnyAlteredByteFailsTheSignatureOrTheParse) {
    Fixture f;
    TestAuthenticator sender("site-a");
    const auto bytes = encode_push(f.push, sender);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto altered = bytes;
        altered[i] ^= 0x01;
        ParsedPush parsed;
        if (parse_push(altered, parsed) != PushParseError::Ok) continue;
        EXPECT_NE(sender.verify(parsed.sender, parsed.credential, parsed.signed_bytes,
                                parsed.signature, kNow),
                  AuthResult::Ok)
            << "byte " << i;
    }
    // Another deployment's signer is refused too.
    TestAuthenticator stranger("site-a", 16, "deployment-2");
    ParsedPush parsed;
    ASSERT_EQ(parse_push(bytes, parsed), PushParseError::Ok);
    EXPECT_EQ(stranger.verify(parsed.sender, parsed.credential, parsed.signed_bytes,
                              parsed.signature, kNow),
              AuthResult::BadSignature);
}

TEST(LkhPushMessage, EveryTruncationIsAnErrorAndNoneCrashes) {
    Fixture f;
    TestAuthenticator sender("site-a");
    const auto bytes = encode_push(f.push, sender);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        ParsedPush parsed;
        EXPECT_NE(parse_push(std::span(bytes).first(size), parsed), PushParseError::Ok) << size;
    }
}

TEST(LkhPushMessage, FieldsOutsideTheTreeAreRefused) {
    Fixture f;
    TestAuthenticator sender("site-a");
    const auto parse = [&](const PushContent& push) {
        ParsedPush parsed;
        return parse_push(encode_push(push, sender), parsed);
    };
    PushContent push = f.push;
    push.keys.front().node = f.server.shape().first_leaf();  // a leaf has no wrapped key
    EXPECT_EQ(parse(push), PushParseError::BadKeyEntry);
    push = f.push;
    push.keys.front().slot = 4;
    EXPECT_EQ(parse(push), PushParseError::BadKeyEntry);
    push = f.push;
    push.degree = 3;
    EXPECT_EQ(parse(push), PushParseError::BadShape);
    push = f.push;
    push.message_id = 0;
    EXPECT_EQ(parse(push), PushParseError::ZeroMessageId);
    push = f.push;
    WrappedTek odd = *f.push.tek;
    odd.wrapped.resize(40);
    push.tek = odd;
    EXPECT_EQ(parse(push), PushParseError::BadTekLength);
    std::vector<std::uint8_t> other = encode_push(f.push, sender);
    other[0] = 'M';
    ParsedPush parsed;
    EXPECT_EQ(parse_push(other, parsed), PushParseError::BadMagic);
}

TEST(LkhPushMessage, ReplaysAndOtherGroupsChangeNothing) {
    Fixture f;
    auto receiver = *ReceiverKeys::create(kGroup, f.server.shape(), f.admitted[0].leaf,
                                          f.admitted[0].individual_key.view());
    EXPECT_EQ(receiver.apply(f.push), ApplyResult::Updated);
    EXPECT_EQ(receiver.apply(f.push), ApplyResult::Replayed);
    PushContent other = f.push;
    other.group_id = {'g', '2'};
    other.message_id += 1;
    EXPECT_EQ(receiver.apply(other), ApplyResult::WrongTree);
    EXPECT_EQ(receiver.last_message_id(), f.push.message_id);
}

}  // namespace
}  // namespace mcsec::control::lkh
