// The group access rules of the MIKE engine (docs/protocol/mike.md, "Group access" and
// "Acceptance rules"), each against an attacker that holds a valid credential: outsiders never
// get a key, the TM is elected among the group's senders only, members refuse a tree that a
// compromised TM stuffed with an outsider, and epochs or HANDOVERs from the wrong node change
// nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "mike_protocol_sim.hpp"

namespace mcsec::control::mike::testing {
namespace {

using access::Role;

const std::string kNode0 = SimGroup::name(0);
const std::string kNode1 = SimGroup::name(1);
const std::string kNode2 = SimGroup::name(2);
const std::string kNode3 = SimGroup::name(3);

bool holds_key_naming(const SimNode& node, const std::string& member) {
    return std::ranges::any_of(node.keys, [&](const EpochKey& key) {
        return std::ranges::find(key.members, member) != key.members.end();
    });
}

// A signed message from `signer`'s current run, numbered far above anything it sent.
std::vector<std::uint8_t> signed_by(SimGroup& group, const std::string& signer, MessageBody body,
                                    std::uint64_t epoch, std::uint64_t number = 1'000'000) {
    SimNode& node = group.node(signer);
    Message m;
    m.header.group_id = kGroupId;
    m.header.sender = signer;
    m.header.session = node.startup;
    m.header.number = number;
    m.header.epoch = epoch;
    m.body = std::move(body);
    m.credential.assign(node.auth->credential().begin(), node.auth->credential().end());
    return encode_message(m, *node.auth);
}

MikeVerdict deliver(SimGroup& group, const std::string& to, const std::vector<std::uint8_t>& b) {
    return group.engine(to).on_datagram(b, group.now(), SimGroup::wall());
}

// node-03 holds a certificate of the deployment but is not on the group's member list; its own
// (rogue) config claims every node a sender, so it asks to join like anybody else.
Role outsider_three(const NodeId& observer, const NodeId& subject) {
    if (observer == kNode3) return Role::Sender;
    return subject == kNode3 ? Role::Denied : Role::Sender;
}

TEST(MikeProtocolAccess, OutsiderWithAValidCredentialNeverGetsAKey) {
    SimGroup group({}, 41);
    group.set_access(outsider_three);
    group.start(4);
    ASSERT_TRUE(group.run_until([&] { return group.converged({kNode0, kNode1, kNode2}); }, 60s));
    group.run_for(20s);  // the outsider keeps asking, every hello interval
    EXPECT_TRUE(group.converged({kNode0, kNode1, kNode2}));
    EXPECT_TRUE(group.node(kNode3).keys.empty());
    for (const auto& id : {kNode0, kNode1, kNode2}) {
        EXPECT_FALSE(holds_key_naming(group.node(id), kNode3)) << id;
    }
    EXPECT_EQ(group.engine(kNode1).tm(), kNode0);
    EXPECT_GE(group.engine(kNode0).counters().joins_denied, 1u);
}

TEST(MikeProtocolAccess, SmallestIdThatMayNotSendIsNeverTm) {
    // node-00 is a receive-only member: it gets the key but never runs the group.
    SimGroup group({}, 42);
    group.set_access([](const NodeId&, const NodeId& subject) {
        return subject == kNode0 ? Role::Receiver : Role::Sender;
    });
    group.start(4);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    for (const auto& [id, node] : group.nodes()) EXPECT_EQ(node.engine->tm(), kNode1) << id;
    EXPECT_FALSE(group.engine(kNode0).is_tm());
}

TEST(MikeProtocolAccess, SmallestIdOutsideTheGroupStallsNothing) {
    // The box named first in the deployment does not protect this group at all: discovery still
    // reports it, and the group is keyed by the smallest of its own members.
    SimGroup group({}, 43);
    group.set_access([](const NodeId&, const NodeId& subject) {
        return subject == kNode0 ? Role::Denied : Role::Sender;
    });
    group.start(4);
    group.node(kNode0).up = false;  // its engine for this group does not exist
    ASSERT_TRUE(group.run_until([&] { return group.converged({kNode1, kNode2, kNode3}); }, 60s));
    EXPECT_EQ(group.engine(kNode2).tm(), kNode1);
    EXPECT_FALSE(holds_key_naming(group.node(kNode2), kNode0));
}

TEST(MikeProtocolAccess, MembersRefuseATreeACompromisedTmFilledWithAnOutsider) {
    // The TM's config lets node-03 in; every honest member's does not.
    SimGroup group({}, 44);
    group.set_access([](const NodeId& observer, const NodeId& subject) {
        if (observer == kNode0 || observer == kNode3) return Role::Sender;
        return subject == kNode3 ? Role::Denied : Role::Sender;
    });
    group.start(4);
    ASSERT_TRUE(group.run_until(
        [&] {
            return group.engine(kNode1).counters().count(MikeVerdict::OutsiderInTree) > 0 &&
                   group.engine(kNode2).counters().count(MikeVerdict::OutsiderInTree) > 0;
        },
        60s));
    group.run_for(10s);
    for (const auto& id : {kNode1, kNode2}) {
        EXPECT_FALSE(holds_key_naming(group.node(id), kNode3)) << id;
    }
    EXPECT_EQ(alarm_for(MikeVerdict::OutsiderInTree), MikeAlarm::AccessViolation);
}

TEST(MikeProtocolAccess, UnverifiedMemberIsRetriedOnceItsCertificateIsKnown) {
    // node-01 has not seen node-03's certificate yet (an OU rule it cannot judge): it keeps the
    // state unconsumed and takes the TM's identical retransmission once it can.
    auto verified = std::make_shared<bool>(false);
    SimGroup group({}, 45);
    group.set_access([verified](const NodeId& observer, const NodeId& subject) {
        if (observer == kNode1 && subject == kNode3 && !*verified) return Role::Unverified;
        return Role::Sender;
    });
    group.start(4);
    ASSERT_TRUE(group.run_until(
        [&] { return group.engine(kNode1).counters().count(MikeVerdict::MemberUnverified) > 0; },
        60s));
    EXPECT_FALSE(holds_key_naming(group.node(kNode1), kNode3));
    EXPECT_EQ(alarm_for(MikeVerdict::MemberUnverified), MikeAlarm::None);
    *verified = true;
    EXPECT_TRUE(group.run_until([&] { return group.converged(); }, 30s));
}

class MikeProtocolAcceptance : public ::testing::Test {
  protected:
    void SetUp() override {
        group_.set_access(outsider_three);
        group_.record_wire(true);
        group_.start(4);
        ASSERT_TRUE(group_.run_until([&] { return group_.converged(members_); }, 60s));
        group_.run_for(5s);
        epoch_ = group_.engine(kNode0).epoch();
    }

    // The TM rekeys, and every member follows to an epoch above `epoch_`; returns that epoch.
    std::uint64_t rekey() {
        EXPECT_TRUE(group_.engine(kNode0).request_rekey(group_.now()));
        EXPECT_TRUE(group_.run_until(
            [&] { return group_.converged(members_) && group_.engine(kNode1).epoch() > epoch_; },
            30s));
        return group_.engine(kNode1).epoch();
    }

    // The TM's newest tree, as it multicast it.
    KeyTree current_tree() const {
        for (auto it = group_.wire().rbegin(); it != group_.wire().rend(); ++it) {
            ParsedMessage parsed;
            if (it->first == kNode0 && parse_message(it->second, parsed) == MessageParseError::Ok &&
                std::holds_alternative<TreeStateBody>(parsed.message.body)) {
                return std::get<TreeStateBody>(parsed.message.body).tree;
            }
        }
        ADD_FAILURE() << "no TREE_STATE on the wire";
        return {};
    }

    SimGroup group_{{}, 46};
    std::vector<std::string> members_{kNode0, kNode1, kNode2};
    std::uint64_t epoch_ = 0;
};

TEST_F(MikeProtocolAcceptance, EpochFarAboveEverythingSeenIsRefusedAndRekeysGoOn) {
    // One signed JOIN_REQUEST claiming epoch 2^64-1, from a tree member: accepted, it would
    // make the TM unable to number any later epoch, freezing the group for good.
    const auto freeze =
        signed_by(group_, kNode2, JoinRequestBody{}, std::numeric_limits<std::uint64_t>::max());
    const MikeVerdict verdict = deliver(group_, kNode0, freeze);
    EXPECT_EQ(verdict, MikeVerdict::EpochJump);
    EXPECT_EQ(alarm_for(verdict), MikeAlarm::ProtocolViolation);
    EXPECT_EQ(group_.engine(kNode0).counters().count(MikeVerdict::EpochJump), 1u);
    // The same message again is a replay: refused without a second signature check.
    EXPECT_EQ(deliver(group_, kNode0, freeze), MikeVerdict::Replay);
    EXPECT_EQ(rekey(), epoch_ + 1);
}

TEST_F(MikeProtocolAcceptance, EpochFromANodeOutsideTheTreeMovesNothing) {
    // Within the bound, but from the outsider: its epoch is noted only if the TM admits it.
    const auto high = signed_by(group_, kNode3, JoinRequestBody{}, epoch_ + 1'000'000);
    EXPECT_EQ(deliver(group_, kNode0, high), MikeVerdict::Accepted);  // recorded, then denied
    EXPECT_EQ(rekey(), epoch_ + 1);
    EXPECT_FALSE(holds_key_naming(group_.node(kNode1), kNode3));
}

TEST_F(MikeProtocolAcceptance, HandoverWithStateFromANodeThatIsNotTmIsRefused) {
    // A member hands "the TM role" with a tree of its own making to node-01.
    HandoverBody body;
    body.successor = kNode1;
    body.has_tree = true;
    body.tree = current_tree();
    const auto handover = signed_by(group_, kNode2, body, body.tree.epoch());
    for (const auto& to : {kNode1, kNode0}) {
        const MikeVerdict verdict = deliver(group_, to, handover);
        EXPECT_EQ(verdict, MikeVerdict::HandoverNotFromTm) << to;
        EXPECT_EQ(alarm_for(verdict), MikeAlarm::ProtocolViolation);
        EXPECT_EQ(group_.engine(to).counters().count(MikeVerdict::HandoverNotFromTm), 1u);
    }
    EXPECT_EQ(group_.engine(kNode1).tm(), kNode0);
    EXPECT_FALSE(group_.engine(kNode1).is_tm());
    EXPECT_EQ(rekey(), epoch_ + 1);
}

}  // namespace
}  // namespace mcsec::control::mike::testing
