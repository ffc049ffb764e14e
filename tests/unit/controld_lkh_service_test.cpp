// LkhSenderService's acceptance of what other senders send it over TLS (docs/security.md, "LKH
// receivers"): a tree replica or a revocation list counts only from a sender of the group that
// names itself; a successor continues the replica it holds; a TM that gets a replica of its own
// group raises SPLIT_BRAIN. No sockets: frames go from one service to the other by hand.
#include <gtest/gtest.h>

#include <algorithm>

#include "idp_test_authenticator.hpp"
#include "lkh_sender_service.hpp"
#include "mcsec/control/lkh/receiver_registration.hpp"

namespace mcsec::control {
namespace {

using idp::test::TestAuthenticator;
using Clock = std::chrono::steady_clock;

config::Group test_group() {
    config::Group group;
    group.address = *config::IpAddress::parse("239.1.1.1");
    group.policy = "p";
    return group;
}

struct Sender {
    explicit Sender(const NodeId& id, const config::Group& group)
        : self(id),
          service(
              config::LkhSettings{}, self,
              [](const config::Group&, const NodeId& node, std::span<const std::uint8_t>) {
                  return node.starts_with("lr");
              },
              [](const config::Group&, const NodeId& node) { return node.starts_with("lk"); }, {},
              std::chrono::milliseconds(0)) {
        service.add_group(group);
    }
    TestAuthenticator self;
    LkhSenderService service;
};

bool has_alarm(const LkhEffects& effects, std::string_view kind) {
    return std::ranges::any_of(effects.alarms, [&](const auto& a) { return a.kind == kind; });
}

class LkhSenderReplication : public ::testing::Test {
  protected:
    // lk1 serves the group with one admitted receiver and hands out its replica.
    void SetUp() override {
        tm.service.follow(group, true, now, effects);
        tm.service.on_tek(group, 1, 0x101, std::vector<std::uint8_t>(36, 1), now, effects);
        const auto request =
            *lkh::RegistrationRequest::create({'2', '3', '9', '.', '1', '.', '1', '.', '1'}, rx);
        tm.service.on_registration(request.datagram(), "192.0.2.50", {}, now, effects);
        ASSERT_EQ(effects.unicast.size(), 1u) << "the WELCOME";
        auto replicas = tm.service.take_replicas(now);
        ASSERT_EQ(replicas.size(), 1u);
        frames = std::move(replicas[0].frames);
        effects = {};
    }

    config::Group group = test_group();
    Clock::time_point now = Clock::now();
    Sender tm{"lk1", group};
    TestAuthenticator rx{"lr1"};
    std::vector<std::vector<std::uint8_t>> frames;
    LkhEffects effects;
};

TEST_F(LkhSenderReplication, ASenderKeepsTheReplicaAndContinuesTheTreeWhenItBecomesTm) {
    Sender next("lk2", group);
    for (const auto& frame : frames) next.service.on_replica_frame("lk1", frame, now, effects);
    EXPECT_TRUE(effects.alarms.empty());
    ASSERT_EQ(next.service.groups()[0].replica_from, std::optional<NodeId>("lk1"));
    EXPECT_TRUE(tm.service.take_replicas(now).empty()) << "nothing changed since";

    next.service.follow(group, true, now, effects);
    const auto view = next.service.groups()[0];
    ASSERT_TRUE(view.serving);
    EXPECT_EQ(view.trees_continued, 1u);
    EXPECT_TRUE(view.distribution->leaf_of("lr1"));
    EXPECT_EQ(view.distribution->tree_id(), tm.service.groups()[0].distribution->tree_id());
}

TEST_F(LkhSenderReplication, AReplicaFromANonSenderOrNamingAnotherServerIsRefused) {
    Sender other("lk2", group);
    for (const auto& frame : frames) other.service.on_replica_frame("lr7", frame, now, effects);
    EXPECT_TRUE(has_alarm(effects, "ACCESS_VIOLATION")) << "a receiver's TLS identity";
    EXPECT_FALSE(other.service.groups()[0].replica_from);

    effects = {};
    Sender third("lk2", group);
    for (const auto& frame : frames) third.service.on_replica_frame("lk3", frame, now, effects);
    EXPECT_TRUE(has_alarm(effects, "ACCESS_VIOLATION")) << "lk3 relaying lk1's tree";
    EXPECT_FALSE(third.service.groups()[0].replica_from);
    third.service.follow(group, true, now, effects);
    EXPECT_EQ(third.service.groups()[0].trees_continued, 0u) << "a new tree, not the relayed one";
}

TEST_F(LkhSenderReplication, RevocationListsCountOnlyFromSendersNamingThemselves) {
    Sender other("lk2", group);
    const std::vector<std::uint8_t> id = {'2', '3', '9', '.', '1', '.', '1', '.', '1'};
    other.service.on_replica_frame("lr7", lkh::encode_revoked({id, "lr7", {"lr1"}}), now, effects);
    other.service.on_replica_frame("lk3", lkh::encode_revoked({id, "lk1", {"lr2"}}), now, effects);
    EXPECT_TRUE(has_alarm(effects, "ACCESS_VIOLATION"));
    EXPECT_TRUE(other.service.groups()[0].revoked->empty());

    tm.service.on_replica_frame("lk2", lkh::encode_revoked({id, "lk2", {"lr1"}}), now, effects);
    EXPECT_TRUE(tm.service.groups()[0].revoked->contains("lr1"));
    EXPECT_FALSE(tm.service.groups()[0].distribution->leaf_of("lr1")) << "removed from the tree";
}

TEST_F(LkhSenderReplication, ATmGivenAReplicaOfItsOwnGroupRaisesSplitBrain) {
    Sender other("lk2", group);
    for (const auto& frame : frames) other.service.on_replica_frame("lk1", frame, now, effects);
    other.service.follow(group, true, now, effects);  // the other side of a partition
    auto theirs = other.service.for_new_sender("lk1", now);
    ASSERT_EQ(theirs.size(), 1u);
    effects = {};
    for (const auto& frame : theirs[0].frames)
        tm.service.on_replica_frame("lk2", frame, now, effects);
    EXPECT_TRUE(has_alarm(effects, "SPLIT_BRAIN"));
    EXPECT_EQ(tm.service.groups()[0].split_brains, 1u);
    EXPECT_TRUE(tm.service.groups()[0].serving) << "MIKE's election decides who stops";

    // An empty tree from a node that was TM only while an election settled is no split brain.
    Sender fresh("lk3", group);
    fresh.service.follow(group, true, now, effects);
    auto empty = fresh.service.for_new_sender("lk1", now);
    ASSERT_EQ(empty.size(), 1u);
    effects = {};
    for (const auto& frame : empty[0].frames)
        tm.service.on_replica_frame("lk3", frame, now, effects);
    EXPECT_FALSE(has_alarm(effects, "SPLIT_BRAIN"));
}

}  // namespace
}  // namespace mcsec::control
