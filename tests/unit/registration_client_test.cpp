// The member side against a real Registry on an in-memory, optionally lossy network: register
// and ACK, retransmission of identical copies, refresh, DELETE, failure and lapse.
#include <gtest/gtest.h>

#include "registration_test_support.hpp"

namespace mcsec::control::registration::test {
namespace {

const config::IpAddress kGroup = group_address("239.1.1.1");

ClientConfig client_config() {
    ClientConfig config;
    config.retransmit_interval = 1s;
    config.max_attempts = 4;
    config.lifetime_s = 30;
    config.retry_after_failure = 5s;
    return config;
}

class RegistrationClientTest : public ::testing::Test {
  protected:
    RegistrationClientTest() : net(client_config()) {
        net.add("tm-a").registry.serve_group(kGroup, 0s);
        net.add("member-1");
    }
    TestNode& member() { return net.node("member-1"); }
    TestNode& tm() { return net.node("tm-a"); }

    SimNetwork net;
};

TEST_F(RegistrationClientTest, RegistersAndTheTmAcknowledges) {
    {
        Outbox out;
        tm().registry.begin_epoch(kGroup, 1, net.now);
        net.take("tm-a", out);
    }
    net.set_tm("member-1", kGroup, "tm-a");
    ASSERT_EQ(net.sent.size(), 2u);
    EXPECT_EQ(type_of(net.sent[0].datagram), MessageType::Register);
    EXPECT_EQ(net.sent[0].to, "tm-a");
    EXPECT_EQ(type_of(net.sent[1].datagram), MessageType::Ack);
    EXPECT_EQ(net.sent[1].to, "member-1");

    ASSERT_EQ(member().events.size(), 1u);
    const Event& registered = member().events[0];
    EXPECT_EQ(registered.kind, EventKind::Registered);
    EXPECT_EQ(registered.peer, "tm-a");
    EXPECT_EQ(registered.lifetime_s, 30u);
    EXPECT_EQ(registered.epoch, 1u);
    EXPECT_EQ(registered.spi, tm().registry.current_epoch(kGroup)->second);
    const auto status = member().client.membership(kGroup);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->state, MembershipState::Registered);
    EXPECT_EQ(status->expires, net.now + 30s);

    ASSERT_EQ(tm().registry.members(kGroup).size(), 1u);
    EXPECT_EQ(tm().registry.members(kGroup)[0].node, "member-1");
    EXPECT_EQ(count_events(tm().events, EventKind::MemberJoined), 1u);
    EXPECT_EQ(member().client.counters().count(Verdict::Accepted), 1u);
    EXPECT_EQ(tm().registry.counters().count(Verdict::Accepted), 1u);
}

TEST_F(RegistrationClientTest, RetransmitsIdenticalCopiesUntilAcknowledged) {
    int registers_dropped = 0;
    net.drop = [&](const Outgoing& datagram) {
        return type_of(datagram.datagram) == MessageType::Register && registers_dropped++ < 2;
    };
    net.set_tm("member-1", kGroup, "tm-a");
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Registering);
    net.advance(1s);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Registering);
    net.advance(1s);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Registered);

    std::vector<std::vector<std::uint8_t>> registers;
    for (const auto& datagram : net.sent) {
        if (type_of(datagram.datagram) == MessageType::Register)
            registers.push_back(datagram.datagram);
    }
    ASSERT_EQ(registers.size(), 3u);
    EXPECT_EQ(registers[1], registers[0]);
    EXPECT_EQ(registers[2], registers[0]);
    EXPECT_EQ(count_events(member().events, EventKind::Registered), 1u);
    // Registration time counts from the first copy.
    EXPECT_EQ(member().client.membership(kGroup)->expires, t0() + 30s);
}

TEST_F(RegistrationClientTest, LostAckIsAnsweredFromTheTmCacheAndTheLateOneIsADuplicate) {
    int acks_dropped = 0;
    net.drop = [&](const Outgoing& datagram) {
        return type_of(datagram.datagram) == MessageType::Ack && acks_dropped++ < 1;
    };
    net.set_tm("member-1", kGroup, "tm-a");
    net.advance(1s);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Registered);
    EXPECT_EQ(tm().registry.counters().count(Verdict::Duplicate), 1u);
    EXPECT_EQ(tm().registry.counters().count(Verdict::Accepted), 1u);
    // The resent ACK is the same bytes as the lost one.
    std::vector<std::vector<std::uint8_t>> acks;
    for (const auto& datagram : net.sent) {
        if (type_of(datagram.datagram) == MessageType::Ack) acks.push_back(datagram.datagram);
    }
    ASSERT_EQ(acks.size(), 2u);
    EXPECT_EQ(acks[0], acks[1]);
    // Delivered again (a network duplicate), it is recognised and ignored.
    Outbox out;
    EXPECT_EQ(member().client.on_datagram(acks[0], "tm-a", net.now, {}, out), Verdict::Duplicate);
    EXPECT_EQ(count_events(tm().events, EventKind::MemberJoined), 1u);
}

TEST_F(RegistrationClientTest, RetransmissionIsBoundedThenFailsAndRetriesLater) {
    net.drop = [](const Outgoing&) { return true; };
    net.set_tm("member-1", kGroup, "tm-a");
    net.advance(3s);
    EXPECT_EQ(net.sent.size(), 4u);  // max_attempts copies
    EXPECT_EQ(count_events(member().events, EventKind::RegistrationFailed), 0u);
    net.advance(1s);  // one interval after the last copy
    EXPECT_EQ(net.sent.size(), 4u);
    EXPECT_EQ(count_events(member().events, EventKind::RegistrationFailed), 1u);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Unregistered);

    net.drop = nullptr;
    net.advance(4999ms);
    EXPECT_EQ(net.sent.size(), 4u);
    net.advance(1ms);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Registered);
    // A fresh request, not a copy of the failed one.
    EXPECT_NE(net.sent[4].datagram, net.sent[0].datagram);
}

TEST_F(RegistrationClientTest, RefreshesAtHalfTheLifetimeAndStaysRegistered) {
    net.set_tm("member-1", kGroup, "tm-a");
    net.advance(15s - 1ms);
    EXPECT_EQ(net.sent.size(), 2u);
    net.advance(1ms);
    ASSERT_EQ(net.sent.size(), 4u);
    ParsedMessage parsed;
    ASSERT_EQ(parse(net.sent[2].datagram, parsed), ParseError::Ok);
    EXPECT_EQ(std::get<RegisterBody>(parsed.message.body).flags, kFlagRefresh | kFlagAckRequired);
    EXPECT_EQ(count_events(member().events, EventKind::Refreshed), 1u);
    EXPECT_EQ(count_events(tm().events, EventKind::MemberRefreshed), 1u);
    net.advance(10min);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Registered);
    EXPECT_EQ(tm().registry.members(kGroup).size(), 1u);
    EXPECT_EQ(count_events(member().events, EventKind::Lapsed), 0u);
    EXPECT_EQ(count_events(tm().events, EventKind::MemberExpired), 0u);
}

TEST_F(RegistrationClientTest, RegistrationLapsesWhenRefreshesGoUnanswered) {
    net.set_tm("member-1", kGroup, "tm-a");
    net.drop = [](const Outgoing&) { return true; };
    net.advance(30s - 1ms);
    // The refresh at 15 s and its retry 5 s after failing both go unanswered.
    EXPECT_EQ(count_events(member().events, EventKind::RegistrationFailed), 2u);
    EXPECT_EQ(count_events(member().events, EventKind::Lapsed), 0u);
    net.advance(1ms);
    EXPECT_EQ(count_events(member().events, EventKind::Lapsed), 1u);
    // The TM, hearing nothing, lets the member go at the same time.
    EXPECT_EQ(count_events(tm().events, EventKind::MemberExpired), 1u);
    EXPECT_TRUE(tm().registry.members(kGroup).empty());
    EXPECT_NE(member().client.membership(kGroup)->state, MembershipState::Registered);
}

TEST_F(RegistrationClientTest, LeaveSendsDeleteAndTheTmForgetsTheMember) {
    net.set_tm("member-1", kGroup, "tm-a");
    Outbox out;
    ASSERT_TRUE(member().client.leave(kGroup, net.now, out));
    net.take("member-1", out);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Leaving);
    net.deliver();
    EXPECT_FALSE(member().client.membership(kGroup));
    EXPECT_EQ(count_events(member().events, EventKind::Left), 1u);
    EXPECT_EQ(count_events(tm().events, EventKind::MemberLeft), 1u);
    EXPECT_TRUE(tm().registry.members(kGroup).empty());
    EXPECT_FALSE(member().client.leave(kGroup, net.now, out));
}

TEST_F(RegistrationClientTest, UnacknowledgedDeleteGivesUpAfterTheLastCopy) {
    net.set_tm("member-1", kGroup, "tm-a");
    net.drop = [](const Outgoing&) { return true; };
    Outbox out;
    member().client.leave(kGroup, net.now, out);
    net.take("member-1", out);
    net.advance(4s);
    EXPECT_EQ(count_events(member().events, EventKind::LeaveUnconfirmed), 1u);
    EXPECT_FALSE(member().client.membership(kGroup));
    EXPECT_FALSE(member().client.next_due());
}

TEST_F(RegistrationClientTest, NewTmGetsARegisterAndTheOldOneADelete) {
    net.add("tm-b").registry.serve_group(kGroup, 0s);
    net.set_tm("member-1", kGroup, "tm-a");
    net.set_tm("member-1", kGroup, "tm-b");
    EXPECT_TRUE(tm().registry.members(kGroup).empty());
    EXPECT_EQ(net.node("tm-b").registry.members(kGroup).size(), 1u);
    EXPECT_EQ(member().client.membership(kGroup)->tm, "tm-b");
    EXPECT_EQ(count_events(member().events, EventKind::Registered), 2u);
    // The same TM again changes nothing.
    const auto sent = net.sent.size();
    net.set_tm("member-1", kGroup, "tm-b");
    EXPECT_EQ(net.sent.size(), sent);
}

TEST_F(RegistrationClientTest, GroupServedByThisNodeIsLocal) {
    net.set_tm("member-1", kGroup, "member-1");
    EXPECT_TRUE(net.sent.empty());
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Local);
    EXPECT_FALSE(member().client.next_due());
}

TEST_F(RegistrationClientTest, WithoutAckRequiredEachRequestIsSentOnce) {
    auto config = client_config();
    config.ack_required = false;
    SimNetwork quiet(config);
    quiet.add("tm-a").registry.serve_group(kGroup, 0s);
    quiet.add("member-1");
    quiet.set_tm("member-1", kGroup, "tm-a");
    ASSERT_EQ(quiet.sent.size(), 1u);  // no ACK asked, none sent
    EXPECT_EQ(quiet.node("member-1").client.membership(kGroup)->state, MembershipState::Registered);
    quiet.advance(15s);
    EXPECT_EQ(quiet.sent.size(), 2u);  // the refresh
    EXPECT_EQ(quiet.node("tm-a").registry.members(kGroup).size(), 1u);
}

TEST_F(RegistrationClientTest, SaExpiredIsLoggedAndReportedToTheTm) {
    net.set_tm("member-1", kGroup, "tm-a");
    Outbox out;
    member().client.report_sa_expired(kGroup, 0x4242, net.now, out);
    net.take("member-1", out);
    net.deliver();
    EXPECT_EQ(count_alarms(member().alarms, AlarmKind::SaExpired, AlarmOrigin::Local), 1u);
    ASSERT_EQ(count_alarms(tm().alarms, AlarmKind::SaExpired, AlarmOrigin::Received), 1u);
    const AlarmRecord& received = tm().registry.alarms().recent().back();
    EXPECT_EQ(received.peer, "member-1");
    EXPECT_EQ(received.spi, 0x4242u);
    EXPECT_EQ(received.group, kGroup);
    EXPECT_EQ(tm().registry.alarms().total(AlarmKind::SaExpired), 1u);
}

TEST(RegistrationClientConfig, RefusesRetransmissionsLongerThanHalfALifetime) {
    idp::test::TestAuthenticator auth("m");
    ClientConfig config;
    config.lifetime_s = 10;
    config.retransmit_interval = 1s;
    config.max_attempts = 5;
    EXPECT_THROW(RegistrationClient(auth, 1, config), std::invalid_argument);
    config.max_attempts = 4;
    EXPECT_NO_THROW(RegistrationClient(auth, 1, config));
    config.max_attempts = 0;
    EXPECT_THROW(RegistrationClient(auth, 1, config), std::invalid_argument);
}

}  // namespace
}  // namespace mcsec::control::registration::test
