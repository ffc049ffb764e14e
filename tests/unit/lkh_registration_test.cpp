// A receiver's pull of its LKH keys (REGISTER / WELCOME): admission, sealing to the receiver's
// ephemeral key, repeated and forged requests, refusals, and a registration that is then
// followed by pushes.
#include <gtest/gtest.h>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/lkh/key_reception.hpp"
#include "mcsec/control/lkh/receiver_registration.hpp"

namespace mcsec::control::lkh {
namespace {

using idp::test::TestAuthenticator;
using namespace std::chrono_literals;

const std::vector<std::uint8_t> kGroup = {'2', '3', '9', '.', '3', '.', '3', '.', '3'};
const auto kWall = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
const auto is_sender = [](const NodeId& node, std::span<const std::uint8_t>) {
    return node == "sender-1";
};

struct Desk {
    TestAuthenticator sender{"sender-1"};
    KeyDistribution distribution;
    RegistrationDesk desk;

    explicit Desk(std::size_t capacity = 64)
        : distribution(*KeyDistribution::create(
              [capacity] {
                  DistributionParams p;
                  p.group_id = kGroup;
                  p.max_receivers = capacity;
                  return p;
              }(),
              sender)),
          desk(kGroup, distribution, sender, [](const NodeId& node, std::span<const std::uint8_t>) {
              return node.starts_with("rx-");
          }) {
        EXPECT_TRUE(
            distribution.on_tek(Tek{4, 0x44, std::vector<std::uint8_t>(36, 4)}, TimePoint{}));
    }
};

TEST(LkhRegistration, AReceiverGetsItsLeafPathAndTekAndFollowsTheNextRekey) {
    Desk d;
    TestAuthenticator rx("rx-1");
    const auto request = *RegistrationRequest::create(kGroup, rx);
    const auto answer = d.desk.on_register(request.datagram(), kWall, TimePoint{});
    ASSERT_EQ(answer.verdict, RegistrationVerdict::Accepted);
    ASSERT_FALSE(answer.reply.empty());
    auto welcome = request.open(answer.reply, rx, is_sender, kWall);
    ASSERT_EQ(welcome.verdict, RegistrationVerdict::Accepted);
    ASSERT_TRUE(welcome.registration && welcome.shape);
    EXPECT_EQ(welcome.registration->leaf, d.distribution.leaf_of("rx-1"));
    EXPECT_EQ(welcome.registration->tek_epoch, 4u);
    EXPECT_EQ(welcome.registration->path_seeds.size(), welcome.shape->height() * kSeedBytes);

    auto reception = *KeyReception::create(
        ReceptionParams{kGroup, *welcome.shape, &*welcome.registration, is_sender}, rx);
    ASSERT_TRUE(reception.keys().tek());
    EXPECT_EQ(reception.keys().tek()->epoch, 4u);
    // Another receiver is revoked: the pushed rekey reaches rx-1 through its handed-over path.
    TestAuthenticator other("rx-2");
    const auto second = *RegistrationRequest::create(kGroup, other);
    ASSERT_EQ(d.desk.on_register(second.datagram(), kWall, TimePoint{}).verdict,
              RegistrationVerdict::Accepted);
    ASSERT_TRUE(d.distribution.revoke("rx-2", TimePoint{} + 1s));
    ASSERT_TRUE(d.distribution.needs_new_tek(TimePoint{} + 3s));
    ASSERT_TRUE(
        d.distribution.on_tek(Tek{5, 0x55, std::vector<std::uint8_t>(36, 5)}, TimePoint{} + 3s));
    for (const auto& datagram : d.distribution.poll(TimePoint{} + 60s)) {
        reception.on_datagram(datagram, kWall);
    }
    ASSERT_TRUE(reception.keys().tek());
    EXPECT_EQ(reception.keys().tek()->epoch, 5u);
}

TEST(LkhRegistration, ARepeatedRequestGetsTheSameAnswerAndNoNewLeaf) {
    Desk d;
    TestAuthenticator rx("rx-1");
    const auto request = *RegistrationRequest::create(kGroup, rx);
    const auto first = d.desk.on_register(request.datagram(), kWall, TimePoint{});
    const auto leaf = d.distribution.leaf_of("rx-1");
    const int verified = d.sender.verifications();
    const auto again = d.desk.on_register(request.datagram(), kWall, TimePoint{});
    EXPECT_EQ(again.verdict, RegistrationVerdict::Repeated);
    EXPECT_EQ(again.reply, first.reply);
    EXPECT_EQ(d.distribution.leaf_of("rx-1"), leaf);
    EXPECT_EQ(d.sender.verifications(), verified);  // no signature work either
    EXPECT_EQ(d.distribution.counters().admissions, 1u);
}

TEST(LkhRegistration, NonReceiversAndForgedRequestsGetNothing) {
    Desk d;
    TestAuthenticator outsider("box-9");
    const auto request = *RegistrationRequest::create(kGroup, outsider);
    const int verified = d.sender.verifications();
    const auto refused = d.desk.on_register(request.datagram(), kWall, TimePoint{});
    EXPECT_EQ(refused.verdict, RegistrationVerdict::NotAReceiver);
    EXPECT_TRUE(refused.reply.empty());
    EXPECT_EQ(d.sender.verifications(), verified);  // refused before any signature work
    EXPECT_EQ(alarm_for(RegistrationVerdict::NotAReceiver), LkhAlarm::AccessViolation);

    TestAuthenticator forger("rx-1", 16, "other-deployment");
    const auto forged = *RegistrationRequest::create(kGroup, forger);
    const auto answer = d.desk.on_register(forged.datagram(), kWall, TimePoint{});
    EXPECT_EQ(answer.verdict, RegistrationVerdict::BadSignature);
    EXPECT_TRUE(answer.reply.empty());
    EXPECT_FALSE(d.distribution.leaf_of("rx-1"));
    EXPECT_EQ(alarm_for(answer.verdict), LkhAlarm::SignFailed);

    EXPECT_EQ(d.desk.on_register(std::vector<std::uint8_t>(40, 'L'), kWall, TimePoint{}).verdict,
              RegistrationVerdict::Malformed);
    const auto other_group = *RegistrationRequest::create({'x'}, outsider);
    EXPECT_EQ(d.desk.on_register(other_group.datagram(), kWall, TimePoint{}).verdict,
              RegistrationVerdict::OtherGroup);
}

TEST(LkhRegistration, OnlyTheRequesterOpensTheAnswerAndOnlyFromASender) {
    Desk d;
    TestAuthenticator rx("rx-1");
    const auto request = *RegistrationRequest::create(kGroup, rx);
    const auto later = *RegistrationRequest::create(kGroup, rx);  // another nonce and key
    const auto answer = d.desk.on_register(request.datagram(), kWall, TimePoint{});
    EXPECT_EQ(later.open(answer.reply, rx, is_sender, kWall).verdict,
              RegistrationVerdict::NotExpected);
    EXPECT_EQ(request
                  .open(
                      answer.reply, rx,
                      [](const NodeId&, std::span<const std::uint8_t>) { return false; }, kWall)
                  .verdict,
              RegistrationVerdict::NotExpected);
    // Any altered byte: it no longer parses, verifies or opens.
    for (std::size_t i = 0; i < answer.reply.size(); ++i) {
        auto altered = answer.reply;
        altered[i] ^= 0x20;
        EXPECT_NE(request.open(altered, rx, is_sender, kWall).verdict,
                  RegistrationVerdict::Accepted)
            << i;
    }
    // A WELCOME signed by another deployment's "sender-1": the receiver's verifier (this
    // deployment) refuses it. (The request is made under that deployment so its desk answers.)
    TestAuthenticator forger("sender-1", 16, "other-deployment");
    TestAuthenticator rx_there("rx-1", 16, "other-deployment");
    auto forged_distribution = *KeyDistribution::create(
        [] {
            DistributionParams p;
            p.group_id = kGroup;
            p.max_receivers = 8;
            return p;
        }(),
        forger);
    RegistrationDesk forged_desk(kGroup, forged_distribution, forger,
                                 [](const NodeId&, std::span<const std::uint8_t>) { return true; });
    const auto lured = *RegistrationRequest::create(kGroup, rx_there);
    const auto forged = forged_desk.on_register(lured.datagram(), kWall, TimePoint{});
    ASSERT_EQ(forged.verdict, RegistrationVerdict::Accepted);
    EXPECT_EQ(lured.open(forged.reply, rx, is_sender, kWall).verdict,
              RegistrationVerdict::BadSignature);
}

TEST(LkhRegistration, AFullTreeSaysSoAndReRegistrationReplacesTheOldLeaf) {
    Desk d(2);
    TestAuthenticator a("rx-a"), b("rx-b"), c("rx-c");
    const auto ra = *RegistrationRequest::create(kGroup, a);
    const auto rb = *RegistrationRequest::create(kGroup, b);
    const auto rc = *RegistrationRequest::create(kGroup, c);
    ASSERT_EQ(d.desk.on_register(ra.datagram(), kWall, TimePoint{}).verdict,
              RegistrationVerdict::Accepted);
    ASSERT_EQ(d.desk.on_register(rb.datagram(), kWall, TimePoint{}).verdict,
              RegistrationVerdict::Accepted);
    const auto full = d.desk.on_register(rc.datagram(), kWall, TimePoint{});
    EXPECT_EQ(full.verdict, RegistrationVerdict::TreeFull);
    EXPECT_EQ(rc.open(full.reply, c, is_sender, kWall).verdict, RegistrationVerdict::TreeFull);
    // rx-a registers again (a new request): its old leaf is removed like a revocation, so the
    // next TEK needs a rekey that the old registration's keys cannot follow.
    const auto again = *RegistrationRequest::create(kGroup, a);
    const auto old_welcome =
        ra.open(d.desk.on_register(ra.datagram(), kWall, TimePoint{}).reply, a, is_sender, kWall);
    ASSERT_EQ(old_welcome.verdict, RegistrationVerdict::Accepted);
    auto old_keys = *KeyReception::create(
        ReceptionParams{kGroup, *old_welcome.shape, &*old_welcome.registration, is_sender}, a);
    ASSERT_EQ(d.desk.on_register(again.datagram(), kWall, TimePoint{}).verdict,
              RegistrationVerdict::Accepted);
    EXPECT_TRUE(d.distribution.needs_new_tek(TimePoint{} + 2s));
    ASSERT_TRUE(
        d.distribution.on_tek(Tek{9, 9, std::vector<std::uint8_t>(20, 9)}, TimePoint{} + 2s));
    for (const auto& datagram : d.distribution.poll(TimePoint{} + 60s)) {
        old_keys.on_datagram(datagram, kWall);
    }
    EXPECT_EQ(old_keys.keys().tek()->epoch, 4u);
}

}  // namespace
}  // namespace mcsec::control::lkh
