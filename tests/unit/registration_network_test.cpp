// Several members and a TM on a lossy network for a long simulated time: every member that keeps
// its registration alive stays registered at the TM, and loss never produces a spurious lapse.
#include <gtest/gtest.h>

#include <random>

#include "registration_test_support.hpp"

namespace mcsec::control::registration::test {
namespace {

TEST(RegistrationOnALossyNetwork, MembersStayRegisteredThroughTwentyPercentLoss) {
    ClientConfig config;
    config.retransmit_interval = 500ms;
    config.max_attempts = 8;
    config.lifetime_s = 20;
    config.retry_after_failure = 2s;
    SimNetwork net(config);
    const auto group_a = group_address("239.5.5.5");
    const auto group_b = group_address("ff0e::5");
    auto& tm = net.add("tm-a");
    tm.registry.serve_group(group_a, 0s);
    tm.registry.serve_group(group_b, 0s);
    tm.registry.begin_epoch(group_a, 1, net.now);
    tm.registry.begin_epoch(group_b, 1, net.now);

    std::mt19937 random(42);
    net.drop = [&random](const Outgoing&) { return random() % 5 == 0; };
    const std::vector<NodeId> members{"m1", "m2", "m3", "m4"};
    for (const auto& id : members) {
        net.add(id);
        net.set_tm(id, group_a, "tm-a");
        net.set_tm(id, group_b, "tm-a");
    }
    net.advance(30min);
    for (const auto& id : members) {
        auto& node = net.node(id);
        EXPECT_EQ(count_events(node.events, EventKind::Lapsed), 0u) << id;
        EXPECT_EQ(node.client.membership(group_a)->state, MembershipState::Registered) << id;
        EXPECT_EQ(node.client.membership(group_b)->state, MembershipState::Registered) << id;
        EXPECT_NE(node.client.membership(group_a)->spi, node.client.membership(group_b)->spi);
        // Nobody forged anything: no alarm anywhere.
        EXPECT_TRUE(node.alarms.empty()) << id;
    }
    EXPECT_EQ(tm.registry.members(group_a).size(), members.size());
    EXPECT_EQ(tm.registry.members(group_b).size(), members.size());
    EXPECT_EQ(count_events(tm.events, EventKind::MemberExpired), 0u);
    EXPECT_TRUE(tm.alarms.empty());
    EXPECT_GT(tm.registry.counters().count(Verdict::Duplicate), 0u);
    EXPECT_EQ(tm.registry.counters().count(Verdict::Replay), 0u);
}

}  // namespace
}  // namespace mcsec::control::registration::test
