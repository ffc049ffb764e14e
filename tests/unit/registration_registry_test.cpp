// The TM side: expiry, refusals by reason (replayed, forged, truncated, oversized, misaddressed),
// SERVER_CONFLICT for two TMs and for a reported SPI collision, SA_EXPIRED for an overdue rekey.
#include <gtest/gtest.h>

#include "registration_test_support.hpp"

namespace mcsec::control::registration::test {
namespace {

const config::IpAddress kGroup = group_address("239.1.1.1");
const config::IpAddress kOtherGroup = group_address("ff0e::1234");

class RegistryTest : public ::testing::Test {
  protected:
    RegistryTest() {
        net.add("tm-a", 0x1000).registry.serve_group(kGroup, 60s);
        net.add("member-1");
    }
    TestNode& member() { return net.node("member-1"); }
    TestNode& tm() { return net.node("tm-a"); }

    // Hands `datagram` to the TM as if from the network.
    Verdict to_tm(const std::vector<std::uint8_t>& datagram) {
        Outbox out;
        const auto verdict = tm().registry.on_datagram(datagram, "192.0.2.9", net.now, {}, out);
        net.take("tm-a", out);
        return verdict;
    }
    std::vector<std::uint8_t> first_sent(MessageType type) {
        for (const auto& datagram : net.sent) {
            if (type_of(datagram.datagram) == type) return datagram.datagram;
        }
        return {};
    }

    SimNetwork net;
};

TEST_F(RegistryTest, MemberExpiresWhenRefreshesStop) {
    net.set_tm("member-1", kGroup, "tm-a");
    // From now on the member's datagrams are lost.
    net.drop = [](const Outgoing& datagram) { return datagram.to == "tm-a"; };
    ASSERT_EQ(tm().registry.members(kGroup).size(), 1u);
    EXPECT_EQ(tm().registry.next_due(), net.now + 60s);  // the epoch watch is not armed yet
    net.advance(60s - 1ms);
    EXPECT_EQ(tm().registry.members(kGroup).size(), 1u);
    net.advance(1ms);
    EXPECT_TRUE(tm().registry.members(kGroup).empty());
    ASSERT_EQ(count_events(tm().events, EventKind::MemberExpired), 1u);
    EXPECT_EQ(tm().events.back().peer, "member-1");
}

TEST_F(RegistryTest, GrantsAtMostItsMaximumLifetime) {
    RegistryConfig config;
    config.max_lifetime_s = 20;
    ClientConfig client;
    client.lifetime_s = 600;
    SimNetwork capped(client, config);
    capped.add("tm-a").registry.serve_group(kGroup, 0s);
    capped.add("member-1");
    capped.set_tm("member-1", kGroup, "tm-a");
    EXPECT_EQ(capped.node("member-1").client.membership(kGroup)->expires, capped.now + 20s);
    EXPECT_EQ(capped.node("tm-a").registry.members(kGroup)[0].expires, capped.now + 20s);
    // The member refreshes on the granted lifetime, so it never lapses.
    capped.advance(5min);
    EXPECT_EQ(count_events(capped.node("member-1").events, EventKind::Lapsed), 0u);
}

TEST_F(RegistryTest, ReplayedRequestIsRefusedWithoutAlarm) {
    net.set_tm("member-1", kGroup, "tm-a");
    const auto first = first_sent(MessageType::Register);
    // The member leaves and registers again; the first REGISTER, replayed, must not re-register.
    Outbox out;
    member().client.leave(kGroup, net.now, out);
    net.take("member-1", out);
    net.deliver();
    ASSERT_TRUE(tm().registry.members(kGroup).empty());
    EXPECT_EQ(to_tm(first), Verdict::Replay);
    EXPECT_TRUE(tm().registry.members(kGroup).empty());
    EXPECT_EQ(tm().registry.counters().count(Verdict::Replay), 1u);
    EXPECT_TRUE(tm().registry.alarms().recent().empty());
    // Refused before the signature check.
    const int verifications = tm().auth.verifications();
    to_tm(first);
    EXPECT_EQ(tm().auth.verifications(), verifications);
}

TEST_F(RegistryTest, ForgedRequestRaisesSignFailedAndIsReportedToTheClaimedSender) {
    idp::test::TestAuthenticator forger("member-1", 16, "another-deployment");
    const auto forged = encode(
        Message{.sender = "member-1",
                .timestamp = 1'000'000,
                .group = kGroup,
                .body = RegisterBody{.tm = "tm-a", .flags = kFlagAckRequired, .lifetime_s = 60},
                .credential = {forger.credential().begin(), forger.credential().end()}},
        forger);
    EXPECT_EQ(to_tm(forged), Verdict::BadSignature);
    EXPECT_TRUE(tm().registry.members(kGroup).empty());
    EXPECT_EQ(tm().registry.counters().count(Verdict::BadSignature), 1u);
    EXPECT_EQ(count_alarms(tm().alarms, AlarmKind::SignFailed, AlarmOrigin::Local), 1u);
    // The forgery did not advance the member's replay state: its real REGISTER still passes.
    net.deliver();
    EXPECT_EQ(count_alarms(member().alarms, AlarmKind::SignFailed, AlarmOrigin::Received), 0u)
        << "the member has no membership with tm-a yet, so it ignores the alarm";
    net.set_tm("member-1", kGroup, "tm-a");
    EXPECT_EQ(tm().registry.members(kGroup).size(), 1u);
    // A second forgery within the hold-off is counted and logged, but not reported again.
    const auto sent = net.sent.size();
    EXPECT_EQ(to_tm(forged), Verdict::BadSignature);
    EXPECT_EQ(net.sent.size(), sent);
    EXPECT_EQ(tm().registry.alarms().total(AlarmKind::SignFailed), 2u);
}

TEST_F(RegistryTest, UntrustedAndExpiredCredentialsAreCountedApart) {
    net.set_tm("member-1", kGroup, "tm-a");
    Outbox out;
    tm().auth.force_result("member-1", AuthResult::Expired);
    member().client.leave(kGroup, net.now, out);
    EXPECT_EQ(to_tm(out.datagrams.at(0).datagram), Verdict::CredentialExpired);
    tm().auth.force_result("member-1", AuthResult::UntrustedCredential);
    out.clear();
    member().client.set_tm(kGroup, "tm-a", net.now, out);
    EXPECT_EQ(to_tm(out.datagrams.at(0).datagram), Verdict::UntrustedCredential);
    EXPECT_EQ(tm().registry.counters().count(Verdict::CredentialExpired), 1u);
    EXPECT_EQ(tm().registry.counters().count(Verdict::UntrustedCredential), 1u);
}

TEST_F(RegistryTest, TruncatedAndOversizedDatagramsAreMalformed) {
    net.set_tm("member-1", kGroup, "tm-a");
    auto truncated = first_sent(MessageType::Register);
    truncated.resize(truncated.size() - 3);
    EXPECT_EQ(to_tm(truncated), Verdict::Malformed);
    EXPECT_EQ(to_tm(std::vector<std::uint8_t>(1401, 'R')), Verdict::Malformed);
    EXPECT_EQ(tm().registry.counters().count(ParseError::Truncated), 1u);
    EXPECT_EQ(tm().registry.counters().count(ParseError::Oversized), 1u);
    EXPECT_EQ(tm().registry.counters().count(Verdict::Malformed), 2u);
    ASSERT_EQ(count_alarms(tm().alarms, AlarmKind::MalformedPacket, AlarmOrigin::Local), 2u);
    EXPECT_EQ(tm().alarms.back().peer, "192.0.2.9");
    EXPECT_FALSE(tm().alarms.back().group);
    // Nothing goes back to an unauthenticated source.
    EXPECT_EQ(net.sent.size(), 2u);
}

TEST_F(RegistryTest, RefusesWhatIsNotForATm) {
    net.set_tm("member-1", kGroup, "tm-a");
    // An ACK is for members.
    EXPECT_EQ(to_tm(first_sent(MessageType::Ack)), Verdict::OwnNodeId);
    Outbox out;
    EXPECT_EQ(member().registry.on_datagram(first_sent(MessageType::Ack), "x", net.now, {}, out),
              Verdict::UnexpectedType);
    // A group this node does not serve.
    net.add("member-2").client.set_tm(kOtherGroup, "tm-a", net.now, out);
    EXPECT_EQ(to_tm(out.datagrams.at(0).datagram), Verdict::NotServing);
    EXPECT_EQ(tm().registry.counters().count(Verdict::NotServing), 1u);
}

TEST_F(RegistryTest, MemberTableIsBounded) {
    RegistryConfig config;
    config.max_members = 1;
    SimNetwork small({}, config);
    small.add("tm-a").registry.serve_group(kGroup, 0s);
    small.add("member-1");
    small.add("member-2");
    small.set_tm("member-1", kGroup, "tm-a");
    small.set_tm("member-2", kGroup, "tm-a");
    EXPECT_EQ(small.node("tm-a").registry.members(kGroup).size(), 1u);
    EXPECT_EQ(small.node("tm-a").registry.counters().count(Verdict::TableFull), 1u);
}

TEST_F(RegistryTest, TwoTmsForOneGroupRaiseServerConflict) {
    net.add("tm-b", 0x2000).registry.serve_group(kGroup, 0s);
    net.set_tm("member-1", kGroup, "tm-a");
    // tm-b also serves the group and receives the member's registration meant for tm-a.
    const auto misdelivered = first_sent(MessageType::Register);
    Outbox out;
    EXPECT_EQ(net.node("tm-b").registry.on_datagram(misdelivered, "x", net.now, {}, out),
              Verdict::TmConflict);
    net.take("tm-b", out);
    net.deliver();
    EXPECT_TRUE(net.node("tm-b").registry.members(kGroup).empty());
    ASSERT_EQ(count_alarms(net.node("tm-b").alarms, AlarmKind::ServerConflict, AlarmOrigin::Local),
              1u);
    EXPECT_EQ(net.node("tm-b").alarms.back().peer, "tm-a");
    // The member and the other TM are told.
    EXPECT_EQ(count_alarms(member().alarms, AlarmKind::ServerConflict, AlarmOrigin::Received), 0u)
        << "tm-b is not the member's TM, so the member refuses its alarm";
    EXPECT_EQ(member().client.counters().count(Verdict::NotFromTm), 1u);
    ASSERT_EQ(count_alarms(tm().alarms, AlarmKind::ServerConflict, AlarmOrigin::Received), 1u);
    EXPECT_EQ(tm().alarms.back().peer, "tm-b");
}

TEST_F(RegistryTest, ReportedSpiCollisionRaisesServerConflictAtBothTms) {
    // Two TMs whose allocators start at the same SPI: the member of both groups sees the clash.
    net.add("tm-b", 0x1000).registry.serve_group(kOtherGroup, 0s);
    const auto spi_a = tm().registry.begin_epoch(kGroup, 1, net.now);
    const auto spi_b = net.node("tm-b").registry.begin_epoch(kOtherGroup, 1, net.now);
    ASSERT_EQ(spi_a, spi_b);
    net.set_tm("member-1", kGroup, "tm-a");
    net.set_tm("member-1", kOtherGroup, "tm-b");
    ASSERT_EQ(count_alarms(member().alarms, AlarmKind::ServerConflict, AlarmOrigin::Local), 1u);
    EXPECT_EQ(member().alarms.back().spi, spi_a);
    for (const char* tm_id : {"tm-a", "tm-b"}) {
        auto& node = net.node(tm_id);
        ASSERT_EQ(count_alarms(node.alarms, AlarmKind::ServerConflict, AlarmOrigin::Received), 1u)
            << tm_id;
        ASSERT_EQ(count_events(node.events, EventKind::SpiConflictReported), 1u) << tm_id;
        EXPECT_EQ(node.events.back().spi, spi_a);
        EXPECT_EQ(node.events.back().epoch, 1u);
    }
}

TEST_F(RegistryTest, OverdueRekeyRaisesSaExpiredOncePerEpoch) {
    tm().registry.begin_epoch(kGroup, 1, net.now);
    net.advance(60s - 1ms);
    EXPECT_TRUE(tm().alarms.empty());
    net.advance(1ms);
    ASSERT_EQ(count_alarms(tm().alarms, AlarmKind::SaExpired, AlarmOrigin::Local), 1u);
    ASSERT_EQ(count_events(tm().events, EventKind::RekeyOverdue), 1u);
    EXPECT_EQ(tm().events.back().epoch, 1u);
    net.advance(10min);
    EXPECT_EQ(count_alarms(tm().alarms, AlarmKind::SaExpired, AlarmOrigin::Local), 1u);
    // A rekey arms the watch again.
    tm().registry.begin_epoch(kGroup, 2, net.now);
    net.advance(60s);
    EXPECT_EQ(count_events(tm().events, EventKind::RekeyOverdue), 2u);
}

TEST_F(RegistryTest, ForgedAckAtTheMemberIsReportedAsSignFailed) {
    net.set_tm("member-1", kGroup, "tm-a");
    Outbox out;
    net.drop = [](const Outgoing& datagram) { return datagram.to == "member-1"; };
    member().client.leave(kGroup, net.now, out);
    net.take("member-1", out);
    net.deliver();
    net.drop = nullptr;
    // Forge tm-a's ACK to the DELETE.
    const auto& del = net.sent.back().datagram;
    ParsedMessage parsed;
    ASSERT_EQ(parse(del, parsed), ParseError::Ok);
    idp::test::TestAuthenticator forger("tm-a", 16, "another-deployment");
    const auto forged =
        encode(Message{.sender = "tm-a",
                       .timestamp = 99'999,
                       .group = kGroup,
                       .body = AckBody{.member = "member-1",
                                       .reflected_timestamp = parsed.message.timestamp,
                                       .acked = MessageType::Delete},
                       .credential = {forger.credential().begin(), forger.credential().end()}},
               forger);
    EXPECT_EQ(member().client.on_datagram(forged, "x", net.now, {}, out), Verdict::BadSignature);
    net.take("member-1", out);
    net.deliver();
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Leaving);
    EXPECT_EQ(count_alarms(member().alarms, AlarmKind::SignFailed, AlarmOrigin::Local), 1u);
    EXPECT_EQ(count_alarms(tm().alarms, AlarmKind::SignFailed, AlarmOrigin::Received), 1u);
}

TEST_F(RegistryTest, InconsistentAckIsReportedAsMalformedPacket) {
    // A correctly signed ACK from the TM that reflects the pending request but names another
    // type: the two sides are out of step.
    net.drop = [](const Outgoing& datagram) { return datagram.to == "member-1"; };
    net.set_tm("member-1", kGroup, "tm-a");
    net.drop = nullptr;
    ParsedMessage request;
    ASSERT_EQ(parse(first_sent(MessageType::Register), request), ParseError::Ok);
    const auto ack = encode(
        Message{.sender = "tm-a",
                .timestamp = 5'000,
                .group = kGroup,
                .body = AckBody{.member = "member-1",
                                .reflected_timestamp = request.message.timestamp,
                                .acked = MessageType::Delete},
                .credential = {tm().auth.credential().begin(), tm().auth.credential().end()}},
        tm().auth);
    Outbox out;
    EXPECT_EQ(member().client.on_datagram(ack, "x", net.now, {}, out), Verdict::Inconsistent);
    net.take("member-1", out);
    net.deliver();
    EXPECT_EQ(count_alarms(member().alarms, AlarmKind::MalformedPacket, AlarmOrigin::Local), 1u);
    EXPECT_EQ(count_alarms(tm().alarms, AlarmKind::MalformedPacket, AlarmOrigin::Received), 1u);
    EXPECT_EQ(member().client.membership(kGroup)->state, MembershipState::Registering);
}

TEST_F(RegistryTest, ReplayedAlarmIsRefused) {
    net.set_tm("member-1", kGroup, "tm-a");
    Outbox out;
    member().client.report_sa_expired(kGroup, 0x500, net.now, out);
    const auto alarm = out.datagrams.at(0).datagram;
    EXPECT_EQ(to_tm(alarm), Verdict::Accepted);
    EXPECT_EQ(to_tm(alarm), Verdict::Replay);
    EXPECT_EQ(tm().registry.alarms().total(AlarmKind::SaExpired), 1u);
}

TEST_F(RegistryTest, NodeOutsideTheAccessListIsRefusedBeforeItsSignatureIsChecked) {
    tm().registry.set_admission([](const config::IpAddress& group, const NodeId& node) {
        return group == kGroup && node != "outsider";
    });
    net.add("outsider");
    net.set_tm("outsider", kGroup, "tm-a");
    net.set_tm("member-1", kGroup, "tm-a");
    const auto members = tm().registry.members(kGroup);
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members.front().node, "member-1");
    EXPECT_GE(tm().registry.counters().count(Verdict::NotMember), 1u);
    EXPECT_FALSE(alarm_for(Verdict::NotMember).has_value());
    // Its alarms are refused alike: it has no standing in the group.
    Outbox out;
    net.node("outsider").client.report_sa_expired(kGroup, 0x500, net.now, out);
    EXPECT_EQ(to_tm(out.datagrams.at(0).datagram), Verdict::NotMember);
    EXPECT_EQ(tm().registry.alarms().total(AlarmKind::SaExpired), 0u);
}

TEST_F(RegistryTest, RekeyAlarmsOnlyFromRegisteredMembers) {
    // member-2 is a certified node of the deployment whose registration never arrived: its
    // SA_EXPIRED (which makes the TM rekey) is refused, a registered member's is taken.
    net.add("member-2");
    net.drop = [](const Outgoing& datagram) { return datagram.to == "tm-a"; };
    net.set_tm("member-2", kGroup, "tm-a");
    net.drop = nullptr;
    Outbox out;
    net.node("member-2").client.report_sa_expired(kGroup, 0x500, net.now, out);
    const Verdict verdict = to_tm(out.datagrams.at(0).datagram);
    EXPECT_EQ(verdict, Verdict::NotRegistered);
    EXPECT_EQ(tm().registry.counters().count(Verdict::NotRegistered), 1u);
    EXPECT_EQ(tm().registry.alarms().total(AlarmKind::SaExpired), 0u);

    net.set_tm("member-1", kGroup, "tm-a");
    out.clear();
    member().client.report_sa_expired(kGroup, 0x500, net.now, out);
    EXPECT_EQ(to_tm(out.datagrams.at(0).datagram), Verdict::Accepted);
    EXPECT_EQ(tm().registry.alarms().total(AlarmKind::SaExpired), 1u);
}

TEST_F(RegistryTest, StaleAckIsRecognisedByItsReflectedTimestamp) {
    net.set_tm("member-1", kGroup, "tm-a");
    const auto old_ack = first_sent(MessageType::Ack);
    Outbox out;
    member().client.leave(kGroup, net.now, out);  // DELETE outstanding
    EXPECT_EQ(member().client.on_datagram(old_ack, "x", net.now, {}, out), Verdict::Duplicate);
    net.drop = [](const Outgoing&) { return true; };
    net.take("member-1", out);
    // An ACK reflecting a timestamp this member never had outstanding.
    const auto stray = encode(Message{.sender = "tm-a",
                                      .timestamp = 7'000,
                                      .group = kGroup,
                                      .body = AckBody{.member = "member-1",
                                                      .reflected_timestamp = 3,
                                                      .acked = MessageType::Delete},
                                      .credential = {}},
                              tm().auth);
    EXPECT_EQ(member().client.on_datagram(stray, "x", net.now, {}, out), Verdict::StaleAck);
    EXPECT_EQ(member().client.counters().count(Verdict::StaleAck), 1u);
}

TEST(RegistrationDispatch, RoutesByTypeAndServedGroup) {
    SimNetwork net;
    auto& tm = net.add("tm-a");
    tm.registry.serve_group(kGroup, 0s);
    auto& member = net.add("member-1");
    Outbox out;
    member.client.set_tm(kGroup, "tm-a", net.now, out);
    const auto request = out.datagrams.at(0).datagram;
    EXPECT_EQ(destination_for(request, tm.registry), Destination::Registry);
    out.clear();
    tm.registry.on_datagram(request, "x", net.now, {}, out);
    EXPECT_EQ(destination_for(out.datagrams.at(0).datagram, member.registry), Destination::Client);
    out.clear();
    member.client.report_sa_expired(kGroup, 0, net.now, out);
    EXPECT_EQ(destination_for(out.datagrams.at(0).datagram, tm.registry), Destination::Registry);
    EXPECT_EQ(destination_for(out.datagrams.at(0).datagram, member.registry), Destination::Client);
    EXPECT_EQ(destination_for(std::vector<std::uint8_t>{'R', 'G'}, tm.registry),
              Destination::Registry);
}

}  // namespace
}  // namespace mcsec::control::registration::test
