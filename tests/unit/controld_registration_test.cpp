// RegistrationService, the registration half of mcsec-controld without sockets: it follows the
// keying engine's TM election, registers members with the TM, reserves the SPIs MIKE derives on
// the TM, and turns a member's SA_EXPIRED into a rekey of the group on the TM.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "idp_test_authenticator.hpp"
#include "registration_service.hpp"

namespace mcsec::control {
namespace {

using namespace std::chrono_literals;
using registration::AlarmKind;
using registration::AlarmOrigin;
using registration::MembershipState;

config::IpAddress group(const char* text) {
    return *config::IpAddress::parse(text);
}

struct Node {
    explicit Node(const NodeId& id)
        : auth(id), service(auth, 1000, 0x1000, registration::ClientConfig{}) {}
    idp::test::TestAuthenticator auth;
    RegistrationService service;
    RegistrationEffects effects;  // everything the service asked for, accumulated
};

class RegistrationServiceTest : public ::testing::Test {
  protected:
    Node tm{"alpha"};
    Node member{"bravo"};
    idp::TimePoint now = idp::TimePoint{} + 1000h;
    const config::IpAddress g = group("239.1.1.1");

    // Delivers every pending datagram until the network is quiet (bounded).
    void deliver() {
        std::map<NodeId, Node*> nodes{{"alpha", &tm}, {"bravo", &member}};
        for (int round = 0; round < 20; ++round) {
            bool any = false;
            for (auto& [id, node] : nodes) {
                auto datagrams = std::move(node->effects.datagrams);
                node->effects.datagrams.clear();
                for (const auto& out : datagrams) {
                    any = true;
                    RegistrationEffects received;
                    nodes.at(out.to)->service.on_datagram(
                        out.datagram, id, now, std::chrono::system_clock::now(), received);
                    append(*nodes.at(out.to), received);
                }
            }
            if (!any) return;
        }
        FAIL() << "registration did not go quiet";
    }
    static void append(Node& node, RegistrationEffects& more) {
        auto& e = node.effects;
        for (auto& d : more.datagrams) e.datagrams.push_back(std::move(d));
        for (auto& a : more.alarms) e.alarms.push_back(std::move(a));
        for (auto& v : more.events) e.events.push_back(std::move(v));
        for (auto& r : more.rekeys) e.rekeys.push_back(r);
    }
    void follow(const NodeId& elected) {
        for (Node* node : {&tm, &member}) {
            RegistrationEffects fx;
            node->service.follow(g, elected, 3600s, now, fx);
            append(*node, fx);
        }
        deliver();
    }
};

TEST_F(RegistrationServiceTest, MemberRegistersWithTheElectedTm) {
    follow("alpha");
    EXPECT_TRUE(tm.service.registry().serves(g));
    const auto members = tm.service.registry().members(g);
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0].node, "bravo");
    const auto membership = member.service.client().membership(g);
    ASSERT_TRUE(membership);
    EXPECT_EQ(membership->state, MembershipState::Registered);
    EXPECT_EQ(membership->tm, "alpha");
    // The TM itself registers nowhere.
    EXPECT_EQ(tm.service.client().membership(g)->state, MembershipState::Local);
}

TEST_F(RegistrationServiceTest, TmChangeMovesServingAndRegistration) {
    follow("alpha");
    follow("bravo");  // alpha handed over
    EXPECT_FALSE(tm.service.registry().serves(g));
    EXPECT_TRUE(member.service.registry().serves(g));
    EXPECT_EQ(tm.service.client().membership(g)->state, MembershipState::Registered);
    ASSERT_EQ(member.service.registry().members(g).size(), 1u);
    EXPECT_EQ(member.service.registry().members(g)[0].node, "alpha");
}

TEST_F(RegistrationServiceTest, TmReservesDerivedSpisAcrossItsGroups) {
    const auto other = group("239.1.1.2");
    follow("alpha");
    RegistrationEffects fx;
    tm.service.follow(other, "alpha", 3600s, now, fx);
    EXPECT_TRUE(tm.service.epoch_installed(g, 1, 0x4242, now, fx));
    EXPECT_TRUE(tm.service.epoch_installed(g, 1, 0x4242, now, fx));  // seen already
    EXPECT_FALSE(tm.service.epoch_installed(other, 1, 0x4242, now, fx));
    EXPECT_TRUE(tm.service.epoch_installed(other, 2, 0x4243, now, fx));
    // A member reserves nothing: it learns SPIs from keying.
    EXPECT_TRUE(member.service.epoch_installed(g, 1, 0x4243, now, fx));
}

TEST_F(RegistrationServiceTest, MembersSaExpiredMakesTheTmRekeyTheCurrentEpoch) {
    follow("alpha");
    RegistrationEffects fx;
    ASSERT_TRUE(tm.service.epoch_installed(g, 1, 0x4242, now, fx));
    member.service.report_sa_expired(g, 0x4242, "bytes used up", now, member.effects);
    ASSERT_FALSE(member.effects.alarms.empty());
    EXPECT_EQ(member.effects.alarms.back().kind, AlarmKind::SaExpired);
    EXPECT_EQ(member.effects.alarms.back().detail, "bytes used up");
    deliver();
    ASSERT_EQ(tm.effects.rekeys.size(), 1u);
    EXPECT_EQ(tm.effects.rekeys[0], g);
    ASSERT_FALSE(tm.effects.alarms.empty());
    EXPECT_EQ(tm.effects.alarms.back().origin, AlarmOrigin::Received);
    EXPECT_EQ(tm.effects.alarms.back().peer, "bravo");
    EXPECT_TRUE(member.effects.rekeys.empty());  // only the TM rekeys
}

TEST_F(RegistrationServiceTest, SaExpiredAboutAnOlderEpochIsOnlyLogged) {
    follow("alpha");
    RegistrationEffects fx;
    ASSERT_TRUE(tm.service.epoch_installed(g, 1, 0x4242, now, fx));
    ASSERT_TRUE(tm.service.epoch_installed(g, 2, 0x5000, now, fx));
    member.service.report_sa_expired(g, 0x4242, "late report", now, member.effects);
    deliver();
    EXPECT_TRUE(tm.effects.rekeys.empty());
    ASSERT_FALSE(tm.effects.alarms.empty());
    EXPECT_EQ(tm.effects.alarms.back().kind, AlarmKind::SaExpired);
}

TEST_F(RegistrationServiceTest, LeaveAllSendsDeleteToTheTm) {
    follow("alpha");
    RegistrationEffects fx;
    member.service.leave_all(now, fx);
    append(member, fx);
    ASSERT_EQ(member.effects.datagrams.size(), 1u);
    EXPECT_EQ(member.effects.datagrams[0].to, "alpha");
    deliver();
    EXPECT_TRUE(tm.service.registry().members(g).empty());
}

TEST_F(RegistrationServiceTest, GarbageIsCountedAndRaisesMalformedPacket) {
    follow("alpha");
    const std::vector<std::uint8_t> garbage{'R', 'G', 9, 9, 0, 1};
    RegistrationEffects fx;
    tm.service.on_datagram(garbage, "192.0.2.99", now, std::chrono::system_clock::now(), fx);
    ASSERT_EQ(fx.alarms.size(), 1u);
    EXPECT_EQ(fx.alarms[0].kind, AlarmKind::MalformedPacket);
    EXPECT_EQ(fx.alarms[0].peer, "192.0.2.99");
    EXPECT_TRUE(fx.datagrams.empty());  // nothing goes back to an unproven source
}

}  // namespace
}  // namespace mcsec::control
