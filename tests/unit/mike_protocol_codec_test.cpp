// The MIKE message codec, the replay window, the SPI derivation and the verdict table.
#include <gtest/gtest.h>

#include <set>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/mike/protocol/epoch_key.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"
#include "mcsec/control/mike/protocol/replay_window.hpp"
#include "mcsec/control/mike/protocol/verdict.hpp"
#include "mcsec/control/mike/tree_member.hpp"
#include "mike_test_group.hpp"

namespace mcsec::control::mike::testing {
namespace {

Message header_for(MessageBody body, std::uint64_t epoch) {
    Message m;
    m.header.group_id = {'g', '1'};
    m.header.sender = "node-a";
    m.header.session = 42;
    m.header.number = 7;
    m.header.epoch = epoch;
    m.body = std::move(body);
    m.credential = {'n', 'o', 'd'};  // what TestAuthenticator("node-a", 3) presents
    return m;
}

std::vector<Message> samples() {
    SimulatedGroup group = SimulatedGroup::with_members(5);
    std::vector<Message> out;
    out.push_back(header_for(TreeStateBody{{}, group.tree()}, group.tree().epoch()));
    KeyTree pending = group.tree();
    const TreeChange change = must(pending.leave("node-2"), "leave");
    out.push_back(header_for(TreeStateBody{change.sponsor, pending}, pending.epoch()));
    PathUpdateBody path;
    path.path_keys.assign(3, X25519PublicKey{});
    path.path_keys[1][0] = 9;
    out.push_back(header_for(path, 3));
    JoinRequestBody join;
    join.leaf_key[31] = 5;
    out.push_back(header_for(join, 12));
    AckBody ack;
    ack.tree_hash[0] = 0xAB;
    out.push_back(header_for(ack, 12));
    HandoverBody handover;
    handover.sender_leaves = true;
    handover.successor = "node-b";
    handover.has_tree = true;
    handover.tree = group.tree();
    out.push_back(header_for(handover, group.tree().epoch()));
    HandoverBody leaving;
    leaving.sender_leaves = true;
    out.push_back(header_for(leaving, 4));
    return out;
}

TEST(MikeProtocolCodec, EveryMessageTypeRoundTrips) {
    idp::test::TestAuthenticator signer("node-a", 3);
    for (const Message& m : samples()) {
        const std::vector<std::uint8_t> bytes = encode_message(m, signer);
        ParsedMessage parsed;
        ASSERT_EQ(parse_message(bytes, parsed), MessageParseError::Ok) << to_string(m.header.type);
        EXPECT_EQ(parsed.message.header.group_id, m.header.group_id);
        EXPECT_EQ(parsed.message.header.sender, m.header.sender);
        EXPECT_EQ(parsed.message.header.number, m.header.number);
        EXPECT_EQ(parsed.message.header.epoch, m.header.epoch);
        EXPECT_EQ(parsed.message.body.index(), m.body.index());
        EXPECT_EQ(parsed.message.credential, m.credential);
        EXPECT_EQ(parsed.signature.size(), idp::test::TestAuthenticator::kSignatureBytes);
        EXPECT_EQ(signer.verify("node-a", parsed.message.credential, parsed.signed_bytes,
                                parsed.signature, {}),
                  AuthResult::Ok);
        // Re-encoding what was parsed gives the same bytes: nothing is lost or reinterpreted.
        Message again = parsed.message;
        EXPECT_EQ(encode_message(again, signer), bytes);
    }
}

TEST(MikeProtocolCodec, OnlyAcksAreForTheTmAlone) {
    idp::test::TestAuthenticator signer("node-a", 3);
    for (const Message& m : samples()) {
        const std::vector<std::uint8_t> bytes = encode_message(m, signer);
        ParsedMessage parsed;
        ASSERT_EQ(parse_message(bytes, parsed), MessageParseError::Ok);
        const MessageType type = parsed.message.header.type;
        EXPECT_EQ(only_for_tm(bytes), type == MessageType::Ack) << to_string(type);
    }
    EXPECT_FALSE(only_for_tm(std::vector<std::uint8_t>{'M', 'K', 1, 4}));  // shorter than a header
    EXPECT_FALSE(only_for_tm(std::vector<std::uint8_t>{'R', 'G', 1, 4, 0, 6}));  // not MIKE
}

TEST(MikeProtocolCodec, EveryStrictPrefixIsRefused) {
    idp::test::TestAuthenticator signer("node-a", 3);
    for (const Message& m : samples()) {
        const std::vector<std::uint8_t> bytes = encode_message(m, signer);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            const std::vector<std::uint8_t> prefix(bytes.begin(),
                                                   bytes.begin() + static_cast<long>(n));
            ParsedMessage parsed;
            EXPECT_NE(parse_message(prefix, parsed), MessageParseError::Ok) << n;
        }
    }
}

TEST(MikeProtocolCodec, HeaderErrors) {
    idp::test::TestAuthenticator signer("node-a", 3);
    const std::vector<std::uint8_t> good = encode_message(samples()[3], signer);
    ParsedMessage parsed;
    auto with = [&](std::size_t offset, std::uint8_t value) {
        std::vector<std::uint8_t> b = good;
        b[offset] = value;
        return parse_message(b, parsed);
    };
    EXPECT_EQ(with(0, 'X'), MessageParseError::BadMagic);
    EXPECT_EQ(with(2, 2), MessageParseError::UnsupportedVersion);
    EXPECT_EQ(with(3, 0), MessageParseError::UnknownType);
    EXPECT_EQ(with(3, 6), MessageParseError::UnknownType);
    EXPECT_EQ(with(5, 3), MessageParseError::BadLength);
    EXPECT_EQ(with(4, 0xFF), MessageParseError::BadLength);
    EXPECT_EQ(with(6, 0), MessageParseError::BadGroupId);
    EXPECT_EQ(with(10, '!'), MessageParseError::BadNodeId);  // a character of the sender id
    std::vector<std::uint8_t> trailing = good;
    trailing.push_back(0);
    EXPECT_EQ(parse_message(trailing, parsed), MessageParseError::TrailingBytes);
    std::vector<std::uint8_t> huge(kMaxDatagramBytes + 1, 0);
    EXPECT_EQ(parse_message(huge, parsed), MessageParseError::Oversized);
    EXPECT_EQ(parse_message({}, parsed), MessageParseError::Truncated);

    Message zero = samples()[3];
    zero.header.number = 0;
    EXPECT_EQ(parse_message(encode_message(zero, signer), parsed), MessageParseError::ZeroNumber);
}

TEST(MikeProtocolCodec, BodyErrors) {
    idp::test::TestAuthenticator signer("node-a", 3);
    ParsedMessage parsed;
    std::vector<Message> all = samples();

    Message wrong_epoch = all[0];
    wrong_epoch.header.epoch += 1;
    EXPECT_EQ(parse_message(encode_message(wrong_epoch, signer), parsed),
              MessageParseError::EpochMismatch);

    Message sponsor_on_complete = all[0];
    std::get<TreeStateBody>(sponsor_on_complete.body).sponsor = "node-1";
    EXPECT_EQ(parse_message(encode_message(sponsor_on_complete, signer), parsed),
              MessageParseError::BadSponsor);

    Message no_sponsor = all[1];
    std::get<TreeStateBody>(no_sponsor.body).sponsor.clear();
    EXPECT_EQ(parse_message(encode_message(no_sponsor, signer), parsed),
              MessageParseError::BadSponsor);

    Message outsider_sponsor = all[1];
    std::get<TreeStateBody>(outsider_sponsor.body).sponsor = "stranger";
    EXPECT_EQ(parse_message(encode_message(outsider_sponsor, signer), parsed),
              MessageParseError::BadSponsor);

    Message no_keys = all[2];
    std::get<PathUpdateBody>(no_keys.body).path_keys.clear();
    EXPECT_EQ(parse_message(encode_message(no_keys, signer), parsed),
              MessageParseError::BadKeyCount);

    // A tree whose bytes are corrupted: the tree codec's error becomes BadTree.
    std::vector<std::uint8_t> bad_tree = encode_message(all[0], signer);
    const std::size_t tree_start = 6 + 1 + 2 + 1 + 6 + 24 + 1 + 2;  // header .. tree version
    bad_tree[tree_start] = 9;
    EXPECT_EQ(parse_message(bad_tree, parsed), MessageParseError::BadTree);

    std::vector<std::uint8_t> flags = encode_message(all.back(), signer);
    flags[6 + 1 + 2 + 1 + 6 + 24] = 0x80;
    EXPECT_EQ(parse_message(flags, parsed), MessageParseError::BadFlags);

    std::vector<std::uint8_t> no_signature = encode_message(all[3], signer);
    no_signature.resize(no_signature.size() - idp::test::TestAuthenticator::kSignatureBytes);
    no_signature[no_signature.size() - 1] = 0;
    no_signature[no_signature.size() - 2] = 0;
    EXPECT_EQ(parse_message(no_signature, parsed), MessageParseError::BadSignatureLength);
}

TEST(MikeProtocolCodec, EncoderRefusesWhatCannotFit) {
    idp::test::TestAuthenticator signer("node-a", 3);
    Message m = samples()[3];
    m.credential.assign(kMaxDatagramBytes, 1);
    EXPECT_THROW(encode_message(m, signer), std::length_error);
    m.credential.clear();
    m.header.group_id.clear();
    EXPECT_THROW(encode_message(m, signer), std::invalid_argument);
}

TEST(MikeReplayWindow, AcceptsEachNumberOnceWithinTheWindow) {
    ReplayWindow w;
    EXPECT_FALSE(w.check(1, 0));
    EXPECT_TRUE(w.check(1, 5));
    w.accept(1, 5);
    EXPECT_FALSE(w.check(1, 5));
    EXPECT_TRUE(w.check(1, 3));  // late but never seen: a lost original's retransmission
    w.accept(1, 3);
    EXPECT_FALSE(w.check(1, 3));
    w.accept(1, 100);
    EXPECT_TRUE(w.check(1, 100 - ReplayWindow::kWindow + 1));
    EXPECT_FALSE(w.check(1, 100 - ReplayWindow::kWindow));
    EXPECT_TRUE(w.check(2, 1));  // another session starts afresh
    w.accept(2, 1);
    EXPECT_FALSE(w.check(2, 1));
}

TEST(MikeSpi, DeterministicInRangeAndBoundToGroupEpochAndTree) {
    const std::vector<std::uint8_t> g1 = {'a'}, g2 = {'b'};
    TreeHash h{};
    const std::uint32_t spi = derive_spi(g1, 1, h).value();
    EXPECT_EQ(derive_spi(g1, 1, h).value(), spi);
    EXPECT_NE(derive_spi(g2, 1, h).value(), spi);
    EXPECT_NE(derive_spi(g1, 2, h).value(), spi);
    h[0] = 1;
    EXPECT_NE(derive_spi(g1, 1, h).value(), spi);
    std::set<std::uint32_t> seen;
    for (std::uint64_t e = 0; e < 2000; ++e) {
        const std::uint32_t s = derive_spi(g1, e, h).value();
        EXPECT_GE(s, kMinSpi);
        seen.insert(s);
    }
    EXPECT_EQ(seen.size(), 2000u);
    EXPECT_EQ(derive_spi({}, 1, h).error(), MikeError::BadGroupId);
}

TEST(MikeSenderId, PositionAmongTheTreesMembersFromOne) {
    EpochKey key;
    key.members = {"site-c", "site-a", "site-b"};  // tree order, not sorted
    EXPECT_EQ(sender_id_of(key, "site-c"), std::optional<std::uint16_t>(1));
    EXPECT_EQ(sender_id_of(key, "site-a"), std::optional<std::uint16_t>(2));
    EXPECT_EQ(sender_id_of(key, "site-b"), std::optional<std::uint16_t>(3));
    EXPECT_EQ(sender_id_of(key, "site-d"), std::nullopt);  // not a holder of the key
    key.members.assign(65536, "other");
    key.members.back() = "last";
    EXPECT_EQ(sender_id_of(key, "last"), std::nullopt);  // beyond 16 bits
    key.members[65534] = "fits";
    EXPECT_EQ(sender_id_of(key, "fits"), std::optional<std::uint16_t>(65535));
}

TEST(MikeVerdicts, AlarmsFollowTheTable) {
    EXPECT_EQ(alarm_for(MikeVerdict::Malformed), MikeAlarm::MalformedPacket);
    EXPECT_EQ(alarm_for(MikeVerdict::BadSignature), MikeAlarm::SignFailed);
    EXPECT_EQ(alarm_for(MikeVerdict::CredentialExpired), MikeAlarm::SignFailed);
    EXPECT_EQ(alarm_for(MikeVerdict::Replay), MikeAlarm::None);
    EXPECT_EQ(alarm_for(MikeVerdict::StaleEpoch), MikeAlarm::None);
    EXPECT_EQ(counter_name(MikeVerdict::NotFromTm), "not_from_tm");
    EXPECT_EQ(to_string(MikeAlarm::SignFailed), "SIGN_FAILED");
    EXPECT_EQ(to_string(MessageParseError::BadTree),
              "tree state that does not parse (see the tree codec)");
}

}  // namespace
}  // namespace mcsec::control::mike::testing
