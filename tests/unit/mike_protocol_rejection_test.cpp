// Hostile and stray datagrams against a running engine: each is refused with the right verdict,
// counter and alarm, and none changes the group's key.
#include <gtest/gtest.h>

#include "mike_protocol_sim.hpp"

namespace mcsec::control::mike::testing {
namespace {

class MikeProtocolRejection : public ::testing::Test {
  protected:
    void SetUp() override {
        group_.record_wire(true);
        group_.start(3);
        ASSERT_TRUE(group_.run_until([&] { return group_.converged(); }, 60s));
        group_.run_for(5s);
    }

    // The newest datagram of `type` that `from` sent.
    std::vector<std::uint8_t> last_sent(const std::string& from, MessageType type) const {
        for (auto it = group_.wire().rbegin(); it != group_.wire().rend(); ++it) {
            if (it->first == from && it->second.size() > 3 &&
                it->second[3] == static_cast<std::uint8_t>(type)) {
                return it->second;
            }
        }
        return {};
    }

    MikeVerdict deliver(const std::string& to, const std::vector<std::uint8_t>& bytes) {
        return group_.engine(to).on_datagram(bytes, group_.now(), SimGroup::wall());
    }

    SimGroup group_{{}, 21};
    const std::string tm_ = SimGroup::name(0);
    const std::string member_ = SimGroup::name(1);
};

TEST_F(MikeProtocolRejection, ReplayedStateIsCountedOnlyAndChangesNothing) {
    const auto state = last_sent(tm_, MessageType::TreeState);
    ASSERT_FALSE(state.empty());
    const std::uint64_t epoch = group_.engine(member_).epoch();
    EXPECT_EQ(deliver(member_, state), MikeVerdict::Replay);
    EXPECT_EQ(alarm_for(MikeVerdict::Replay), MikeAlarm::None);
    EXPECT_GE(group_.engine(member_).counters().count(MikeVerdict::Replay), 1u);
    EXPECT_EQ(group_.engine(member_).epoch(), epoch);
    EXPECT_FALSE(group_.engine(member_).take_new_key().has_value());
}

TEST_F(MikeProtocolRejection, ForgedSignatureRaisesSignFailed) {
    auto state = last_sent(tm_, MessageType::TreeState);
    ASSERT_FALSE(state.empty());
    // A new message number (so it passes the replay check) without re-signing.
    ParsedMessage parsed;
    ASSERT_EQ(parse_message(state, parsed), MessageParseError::Ok);
    const std::size_t number_offset = 6 + 1 + kGroupId.size() + 1 + tm_.size() + 8;
    state[number_offset + 7] = static_cast<std::uint8_t>(state[number_offset + 7] + 100);
    const MikeVerdict verdict = deliver(member_, state);
    EXPECT_EQ(verdict, MikeVerdict::BadSignature);
    EXPECT_EQ(alarm_for(verdict), MikeAlarm::SignFailed);
    EXPECT_EQ(group_.engine(member_).counters().count(MikeVerdict::BadSignature), 1u);

    // Signed by a box of another deployment under the TM's name.
    idp::test::TestAuthenticator impostor(tm_, 16, "other-deployment");
    Message m = parsed.message;
    m.header.number += 1000;
    EXPECT_EQ(deliver(member_, encode_message(m, impostor)), MikeVerdict::BadSignature);

    // The authenticator refuses the credential itself.
    group_.node(member_).auth->force_result(tm_, AuthResult::Expired);
    m.header.number += 1;
    EXPECT_EQ(deliver(member_, encode_message(m, *group_.node(tm_).auth)),
              MikeVerdict::CredentialExpired);
}

TEST_F(MikeProtocolRejection, TruncatedAndGarbageRaiseMalformed) {
    const auto state = last_sent(tm_, MessageType::TreeState);
    // Cut inside the signature, or before the signed length ends: Truncated.
    const std::vector<std::uint8_t> truncated(state.begin(), state.end() - 1);
    const MikeVerdict verdict = deliver(member_, truncated);
    EXPECT_EQ(verdict, MikeVerdict::Malformed);
    EXPECT_EQ(alarm_for(verdict), MikeAlarm::MalformedPacket);
    EXPECT_EQ(group_.engine(member_).counters().count(MessageParseError::Truncated), 1u);
    const std::vector<std::uint8_t> cut(state.begin(), state.begin() + 20);
    EXPECT_EQ(deliver(member_, cut), MikeVerdict::Malformed);
    EXPECT_EQ(group_.engine(member_).counters().count(MessageParseError::Truncated), 2u);
    // A signed length shorter than the header itself.
    std::vector<std::uint8_t> short_length = state;
    short_length[4] = 0;
    short_length[5] = 3;
    EXPECT_EQ(deliver(member_, short_length), MikeVerdict::Malformed);
    EXPECT_EQ(group_.engine(member_).counters().count(MessageParseError::BadLength), 1u);
    EXPECT_EQ(deliver(member_, {'I', 'D', 1, 1, 0, 6}), MikeVerdict::Malformed);
    EXPECT_EQ(group_.engine(member_).counters().count(MessageParseError::BadMagic), 1u);
}

TEST_F(MikeProtocolRejection, StrayMessagesAreCountedOnly) {
    const MikeCounters before = group_.engine(member_).counters();
    auto& signer = *group_.node(tm_).auth;
    Message m;
    m.header.group_id = kGroupId;
    m.header.sender = tm_;
    m.header.session = group_.node(tm_).startup;
    m.header.number = 1'000'000;
    m.header.epoch = 1;
    m.body = AckBody{};
    m.credential.assign(signer.credential().begin(), signer.credential().end());

    Message other_group = m;
    other_group.header.group_id = {'x'};
    EXPECT_EQ(deliver(member_, encode_message(other_group, signer)), MikeVerdict::OtherGroup);

    Message old_run = m;
    old_run.header.session = 0;  // an earlier run of the TM
    EXPECT_EQ(deliver(member_, encode_message(old_run, signer)), MikeVerdict::UnknownSender);

    Message own = m;
    own.header.sender = member_;
    EXPECT_EQ(deliver(member_, encode_message(own, *group_.node(member_).auth)),
              MikeVerdict::OwnMessage);

    // A TREE_STATE from a member that is not the TM.
    const auto state = last_sent(tm_, MessageType::TreeState);
    ParsedMessage parsed;
    ASSERT_EQ(parse_message(state, parsed), MessageParseError::Ok);
    Message not_tm = parsed.message;
    auto& other = *group_.node(SimGroup::name(2)).auth;
    not_tm.header.sender = SimGroup::name(2);
    not_tm.header.session = group_.node(SimGroup::name(2)).startup;
    not_tm.header.number = 1'000'000;
    not_tm.credential.assign(other.credential().begin(), other.credential().end());
    EXPECT_EQ(deliver(member_, encode_message(not_tm, other)), MikeVerdict::NotFromTm);

    // An authentic TREE_STATE of an older epoch under a fresh number (a TM bug or a very late
    // copy of a superseded state) is stale.
    Message stale = parsed.message;
    stale.header.number = 1'000'001;
    KeyTree older;
    ASSERT_EQ(parse_message(state, parsed), MessageParseError::Ok);
    std::vector<TreeNode> nodes(std::get<TreeStateBody>(parsed.message.body).tree.nodes().begin(),
                                std::get<TreeStateBody>(parsed.message.body).tree.nodes().end());
    const std::uint64_t epoch = parsed.message.header.epoch;
    stale.header.epoch = epoch - 1;
    std::get<TreeStateBody>(stale.body).tree = *KeyTree::from_nodes(epoch - 1, nodes);
    EXPECT_EQ(deliver(member_, encode_message(stale, signer)), MikeVerdict::StaleEpoch);

    const auto& counters = group_.engine(member_).counters();
    for (const MikeVerdict v :
         {MikeVerdict::OtherGroup, MikeVerdict::UnknownSender, MikeVerdict::OwnMessage,
          MikeVerdict::NotFromTm, MikeVerdict::StaleEpoch}) {
        EXPECT_EQ(counters.count(v), before.count(v) + 1) << counter_name(v);
    }
    // None of it moved the group: it is still converged on the same key.
    EXPECT_TRUE(group_.converged());
}

}  // namespace
}  // namespace mcsec::control::mike::testing
