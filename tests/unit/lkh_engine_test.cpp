// The LKH engines on a simulated clock: the designated sender's KeyDistribution (batch window,
// paced copies, periodic State) and receive-only members' KeyReception over a lossy simulated
// 9.6 kbit/s network. Receivers never transmit (EMCON): the engine has no way to.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/key_reception.hpp"

namespace mcsec::control::lkh {
namespace {

using namespace std::chrono_literals;
using idp::test::TestAuthenticator;

const std::vector<std::uint8_t> kGroup = {'2', '3', '9', '.', '2', '.', '2', '.', '2'};
const auto kWall = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);

TEST(LkhPushSchedule, CopiesArePacedToTheLinkAndSentInOrder) {
    const LinkBudget link{9600, 28};
    EXPECT_EQ(link.air_time(872), 750ms);  // (872 + 28) * 8 bits at 9,600 bit/s
    PushSchedule schedule(link, 3);
    const TimePoint t0{};
    schedule.enqueue({std::vector<std::uint8_t>(872, 1), std::vector<std::uint8_t>(172, 2)}, t0);
    EXPECT_EQ(schedule.drained_at(t0), t0 + 3 * 750ms + 3 * 167ms);
    std::vector<std::pair<TimePoint, std::uint8_t>> sent;
    for (TimePoint now = t0; now < t0 + 5s; now += 1ms) {
        for (const auto& d : schedule.poll(now)) sent.emplace_back(now, d[0]);
    }
    ASSERT_EQ(sent.size(), 6u);
    EXPECT_EQ(sent[0], std::make_pair(t0, std::uint8_t{1}));
    EXPECT_EQ(sent[1], std::make_pair(t0 + 750ms, std::uint8_t{1}));
    EXPECT_EQ(sent[2], std::make_pair(t0 + 1500ms, std::uint8_t{1}));
    EXPECT_EQ(sent[3], std::make_pair(t0 + 2250ms, std::uint8_t{2}));
    EXPECT_EQ(sent[5].first, t0 + 2250ms + 2 * 167ms);
    EXPECT_EQ(schedule.next_due(), TimePoint::max());
    // A later flush waits for the link.
    schedule.enqueue({std::vector<std::uint8_t>(100, 3)}, t0 + 10ms);
    EXPECT_EQ(schedule.next_due(), t0 + 3 * 750ms + 3 * 167ms);
}

// One designated sender, n receivers on a lossy link; time advances in 10 ms steps.
class LkhNet {
  public:
    LkhNet(std::size_t receivers, double loss, unsigned seed = 1, DistributionParams params = {})
        : sender_("sender-1"), loss_(loss), rng_(seed) {
        params.group_id = kGroup;
        if (params.max_receivers == 10000) params.max_receivers = 1024;
        distribution_.emplace(*KeyDistribution::create(params, sender_));
        for (std::size_t i = 0; i < receivers; ++i) add("rx-" + std::to_string(i));
    }

    void add(const std::string& id) {
        auto registration = distribution_->admit(id, now_);
        ASSERT_TRUE(registration);
        auths_[id] = std::make_unique<TestAuthenticator>(id);
        ReceptionParams params{kGroup, distribution_->shape(), &*registration,
                               [](const NodeId& node, std::span<const std::uint8_t>) {
                                   return node.starts_with("sender-");
                               }};
        receivers_.erase(id);
        receivers_.emplace(id, *KeyReception::create(params, *auths_[id]));
    }

    void tek(std::uint64_t epoch) {
        epoch_ = epoch;
        tek_.assign(36, static_cast<std::uint8_t>(epoch));
        ASSERT_TRUE(distribution_->on_tek(
            Tek{epoch, 0x100u + static_cast<std::uint32_t>(epoch), tek_}, now_));
    }

    void run_for(Duration span) {
        const TimePoint end = now_ + span;
        while (now_ < end) {
            if (distribution_->needs_new_tek(now_)) tek(epoch_ + 1);  // the daemon's MIKE rekey
            for (const auto& datagram : distribution_->poll(now_)) {
                ++datagrams_;
                for (auto& [id, receiver] : receivers_) {
                    if (!lost_(rng_)) receiver.on_datagram(datagram, kWall);
                }
                for (auto& [id, receiver] : revoked_) receiver.on_datagram(datagram, kWall);
            }
            now_ += 10ms;
        }
    }

    bool revoke(const std::string& id) {
        if (!distribution_->revoke(id, now_)) return false;
        auto node = receivers_.extract(id);
        revoked_.emplace(id, std::move(node.mapped()));
        return true;
    }

    std::size_t holding(std::uint64_t epoch) const {
        std::size_t n = 0;
        for (const auto& [id, receiver] : receivers_) {
            const auto& tek = receiver.keys().tek();
            n +=
                tek && tek->epoch == epoch &&
                std::ranges::equal(tek->key_and_salt.view(),
                                   std::vector<std::uint8_t>(36, static_cast<std::uint8_t>(epoch)));
        }
        return n;
    }

    // The designated sender dies; `successor` continues from what it replicated (its state as
    // of `replicated_at`, possibly before its last messages) with `floor` as the id clock.
    bool take_over(const WipedBuffer& replica, const MessageAuthenticator& successor,
                   DistributionParams params) {
        params.group_id = kGroup;
        if (params.max_receivers == 10000) params.max_receivers = 1024;
        auto next = KeyDistribution::restore(params, successor, replica.view(), now_);
        if (!next) return false;
        distribution_.emplace(std::move(*next));
        return true;
    }

    KeyDistribution& distribution() { return *distribution_; }
    std::map<std::string, KeyReception>& receivers() { return receivers_; }
    std::map<std::string, KeyReception>& revoked() { return revoked_; }
    TimePoint now() const { return now_; }
    std::uint64_t epoch() const { return epoch_; }
    std::size_t datagrams() const { return datagrams_; }

  private:
    TestAuthenticator sender_;
    double loss_;
    std::mt19937 rng_;
    std::bernoulli_distribution lost_{loss_};
    std::optional<KeyDistribution> distribution_;
    std::map<std::string, std::unique_ptr<TestAuthenticator>> auths_;
    std::map<std::string, KeyReception> receivers_;
    std::map<std::string, KeyReception> revoked_;
    TimePoint now_{std::chrono::hours(1)};
    std::uint64_t epoch_ = 0;
    std::vector<std::uint8_t> tek_;
    std::size_t datagrams_ = 0;
};

TEST(LkhEngine, RevocationsInOneBatchWindowCostOneRekeyThatEveryoneElseHears) {
    LkhNet net(200, 0.0);
    net.tek(1);
    net.run_for(60s);
    ASSERT_EQ(net.holding(1), 200u);
    const auto before = net.distribution().counters();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(net.revoke("rx-" + std::to_string(i * 37)));
    EXPECT_FALSE(net.revoke("rx-0"));  // already gone
    net.run_for(30s);
    const auto after = net.distribution().counters();
    EXPECT_EQ(after.rekeys - before.rekeys, 1u);
    EXPECT_EQ(after.revocations - before.revocations, 5u);
    EXPECT_EQ(net.epoch(), 2u);
    EXPECT_EQ(net.holding(2), 195u);
    for (auto& [id, gone] : net.revoked()) {
        const auto& tek = gone.keys().tek();
        EXPECT_TRUE(!tek || tek->epoch < 2) << id;
    }
}

TEST(LkhEngine, EmconReceiversFollowAtTenPercentLossAndCatchUpFromState) {
    DistributionParams params;
    params.copies = 3;
    params.state_interval = 30s;
    LkhNet net(300, 0.10, 5, params);
    net.tek(1);
    net.run_for(60s);
    for (int round = 0; round < 4; ++round) {
        ASSERT_TRUE(net.revoke("rx-" + std::to_string(round * 50 + 1)));
        net.run_for(5s);  // the batch window, the rekey's three copies
    }
    // Three copies at 10% loss: about one receiver in a thousand missed a rekey entirely.
    EXPECT_GE(net.holding(5), 290u);
    net.run_for(60s);  // a periodic State message
    EXPECT_EQ(net.holding(5), net.receivers().size());
    std::uint64_t replays = 0;
    for (auto& [id, receiver] : net.receivers()) {
        replays += receiver.count(ReceptionVerdict::Replay);
        EXPECT_FALSE(receiver.needs_reregistration()) << id;
    }
    EXPECT_GT(replays, 0u);  // the identical copies
    EXPECT_GT(net.distribution().counters().state_messages, 0u);
}

TEST(LkhEngine, AMikeRekeyAloneIsOneMessageWithOneWrap) {
    LkhNet net(50, 0.0);
    net.tek(1);
    net.run_for(10s);
    const auto before = net.distribution().counters();
    const TimePoint sent = net.now();
    net.tek(2);
    net.run_for(10s);
    const auto after = net.distribution().counters();
    EXPECT_EQ(after.rekeys - before.rekeys, 1u);
    EXPECT_EQ(after.wraps - before.wraps, 1u);
    EXPECT_EQ(net.holding(2), 50u);
    // Senders switch to epoch 2 only after its last copy has left the link.
    // Three copies of a message of at least a header and one wrap take at least 3 x 75 ms at
    // 9.6 kbit/s.
    EXPECT_GE(net.distribution().tek_deliverable_at(), sent + 3 * LinkBudget{}.air_time(62));
}

TEST(LkhEngine, ForgedReplayedAndForeignPushesAreRefusedAndCounted) {
    TestAuthenticator sender("sender-1");
    TestAuthenticator forger("sender-1", 16, "other-deployment");
    TestAuthenticator member("rx-1");
    DistributionParams params;
    params.group_id = kGroup;
    params.max_receivers = 16;
    auto distribution = *KeyDistribution::create(params, sender);
    auto registration = *distribution.admit("rx-0", TimePoint{});
    TestAuthenticator verifier("rx-0");
    auto reception = *KeyReception::create(
        ReceptionParams{
            kGroup, distribution.shape(), &registration,
            [](const NodeId& node, std::span<const std::uint8_t>) { return node == "sender-1"; }},
        verifier);
    ASSERT_TRUE(distribution.on_tek(Tek{1, 7, std::vector<std::uint8_t>(20, 1)}, TimePoint{}));
    const auto datagrams = distribution.poll(TimePoint{} + 10s);
    ASSERT_GE(datagrams.size(), 3u);
    EXPECT_EQ(reception.on_datagram(datagrams[0], kWall), ReceptionVerdict::Accepted);
    const int verifications = verifier.verifications();
    EXPECT_EQ(reception.on_datagram(datagrams[1], kWall), ReceptionVerdict::Replay);
    EXPECT_EQ(verifier.verifications(), verifications);  // copies cost no verification
    auto tek = reception.take_new_tek();
    ASSERT_TRUE(tek);
    EXPECT_EQ(tek->epoch, 1u);
    EXPECT_FALSE(reception.take_new_tek());

    // The same content under another deployment's key: SIGN_FAILED, nothing taken.
    ParsedPush parsed;
    ASSERT_EQ(parse_push(datagrams[0], parsed), PushParseError::Ok);
    PushContent forged = parsed.content;
    forged.message_id += 100;
    EXPECT_EQ(reception.on_datagram(encode_push(forged, forger), kWall),
              ReceptionVerdict::BadSignature);
    EXPECT_EQ(alarm_for(ReceptionVerdict::BadSignature), LkhAlarm::SignFailed);
    // A validly signed push from a node that is not a sender: refused before any verification.
    const int before = verifier.verifications();
    EXPECT_EQ(reception.on_datagram(encode_push(forged, member), kWall),
              ReceptionVerdict::NotFromSender);
    EXPECT_EQ(verifier.verifications(), before);
    // Garbage and other groups.
    EXPECT_EQ(reception.on_datagram(std::vector<std::uint8_t>(30, 0x4c), kWall),
              ReceptionVerdict::Malformed);
    PushContent other = parsed.content;
    other.group_id = {'x'};
    other.message_id += 200;
    EXPECT_EQ(reception.on_datagram(encode_push(other, sender), kWall),
              ReceptionVerdict::OtherGroup);
    EXPECT_EQ(reception.count(ReceptionVerdict::Accepted), 1u);
    EXPECT_EQ(reception.keys().tek()->epoch, 1u);
}

TEST(LkhEngine, AReceiverAwayLongerThanStateCoversMustReRegister) {
    DistributionParams params;
    params.state_covers = 2;
    params.state_interval = 20s;
    LkhNet net(64, 0.0, 3, params);
    net.tek(1);
    net.run_for(30s);
    // rx-1 hears nothing while six revocations near it go by.
    auto away = net.receivers().extract("rx-1");
    for (int i = 2; i < 8; ++i) {
        ASSERT_TRUE(net.revoke("rx-" + std::to_string(i)));
        net.run_for(10s);
    }
    net.receivers().insert(std::move(away));
    net.run_for(30s);  // the next State covers only the last two messages
    KeyReception& back = net.receivers().at("rx-1");
    EXPECT_TRUE(back.needs_reregistration());
    EXPECT_GT(back.count(ReceptionVerdict::Behind), 0u);
    EXPECT_EQ(alarm_for(ReceptionVerdict::Behind), LkhAlarm::KeysBehind);
    // Registering again brings it back.
    net.add("rx-1");
    net.run_for(10s);
    EXPECT_EQ(net.holding(net.epoch()), net.receivers().size());
}

}  // namespace
}  // namespace mcsec::control::lkh

namespace mcsec::control::lkh {
namespace {

// A new designated sender that cannot continue the old tree starts its own (a new tree id, its
// message ids from 1 again): the first thing it sends (its first TEK, then a State, even with
// nobody admitted yet) makes every receiver of the old tree ask to register again, instead of
// following messages it cannot open or refusing them as replays.
TEST(LkhEngine, ReceiversOfAnOldTreeReRegisterWhenANewKeyServerStarts) {
    using namespace std::chrono_literals;
    LkhNet net(20, 0.0);
    net.tek(1);
    net.run_for(5s);
    ASSERT_EQ(net.holding(1), 20u);
    TestAuthenticator successor("sender-1");  // the same check accepts it as a sender
    DistributionParams params;
    params.group_id = kGroup;
    params.max_receivers = 1024;
    auto fresh = *KeyDistribution::create(params, successor);
    const std::vector<std::uint8_t> tek(36, 2);
    ASSERT_TRUE(fresh.on_tek(Tek{2, 0x102, tek}, net.now()));
    std::map<std::string, std::uint64_t> replays;
    for (auto& [id, receiver] : net.receivers())
        replays[id] = receiver.count(ReceptionVerdict::Replay);
    std::size_t heard = 0;
    for (TimePoint now = net.now(); now < net.now() + 2s; now += 10ms) {
        for (const auto& datagram : fresh.poll(now)) {
            ++heard;
            for (auto& [id, receiver] : net.receivers()) receiver.on_datagram(datagram, kWall);
        }
    }
    EXPECT_GE(heard, 2u) << "the first TEK and the State that announces the tree";
    for (auto& [id, receiver] : net.receivers()) {
        EXPECT_TRUE(receiver.needs_reregistration()) << id;
        EXPECT_EQ(receiver.keys().tek()->epoch, 1u) << id << " took nothing from the new tree";
        EXPECT_GE(receiver.count(ReceptionVerdict::OtherTree), 1u) << id;
        EXPECT_EQ(receiver.count(ReceptionVerdict::Replay), replays[id])
            << id << ": the new tree's ids start at 1 again, yet none is taken as a replay";
    }
}

}  // namespace
}  // namespace mcsec::control::lkh

namespace mcsec::control::lkh {
namespace {

// Key-server redundancy (docs/protocol/lkh.md): the TM's replica lets the next TM continue the
// same tree. Nobody registers again, a revocation pending when the TM died is completed by its
// successor, and the successor's ids stay above everything the old TM may have sent.
TEST(LkhEngine, ASuccessorContinuesTheTreeFromTheReplicaWithoutReRegistration) {
    using namespace std::chrono_literals;
    LkhNet net(300, 0.1, 7);
    net.tek(1);
    net.run_for(70s);  // three copies at 10% loss, then the periodic State
    ASSERT_EQ(net.holding(1), 300u);
    ASSERT_TRUE(net.revoke("rx-17"));
    const WipedBuffer replica = net.distribution().export_state(net.now());
    const std::uint64_t tree = net.distribution().tree_id();
    const std::uint64_t old_last = net.distribution().last_message_id();
    // The old TM still sends one more message the replica does not know of, then dies.
    net.tek(2);
    net.run_for(5s);
    const std::uint64_t old_sent = net.distribution().last_message_id();
    ASSERT_GT(old_sent, old_last);

    TestAuthenticator successor("sender-2");
    ASSERT_TRUE(net.take_over(replica, successor, {}));
    EXPECT_EQ(net.distribution().tree_id(), tree);
    EXPECT_EQ(net.distribution().receivers().size(), 299u);
    EXPECT_FALSE(net.distribution().leaf_of("rx-17"));
    net.tek(3);  // the successor's first MIKE epoch: completes the pending removal
    net.run_for(70s);
    EXPECT_GT(net.distribution().last_message_id(), old_sent)
        << "ids above whatever the dead TM sent after its last replica";
    EXPECT_EQ(net.holding(3), 299u) << "every remaining receiver, nobody registered again";
    for (auto& [id, receiver] : net.receivers()) {
        EXPECT_EQ(receiver.count(ReceptionVerdict::OtherTree), 0u) << id;
        EXPECT_FALSE(receiver.needs_reregistration()) << id;
    }
    const auto& revoked = net.revoked().at("rx-17");
    ASSERT_TRUE(revoked.keys().tek());
    EXPECT_LT(revoked.keys().tek()->epoch, 3u) << "the revoked receiver opened no later TEK";
}

TEST(LkhEngine, AReplicaOfAnotherShapeOrCutShortIsRefused) {
    LkhNet net(20, 0.0);
    net.tek(1);
    const WipedBuffer replica = net.distribution().export_state(net.now());
    TestAuthenticator successor("sender-2");
    DistributionParams other;
    other.degree = 8;
    EXPECT_FALSE(net.take_over(replica, successor, other)) << "another degree";
    for (std::size_t cut = 0; cut < replica.size(); cut += 7) {
        DistributionParams params;
        params.group_id = kGroup;
        params.max_receivers = 1024;
        EXPECT_FALSE(
            KeyDistribution::restore(params, successor, replica.view().first(cut), net.now()))
            << "cut at " << cut;
    }
    std::vector<std::uint8_t> longer(replica.view().begin(), replica.view().end());
    longer.push_back(0);
    DistributionParams params;
    params.group_id = kGroup;
    params.max_receivers = 1024;
    EXPECT_FALSE(KeyDistribution::restore(params, successor, longer, net.now()));
    EXPECT_TRUE(KeyDistribution::restore(params, successor, replica.view(), net.now()));
}

}  // namespace
}  // namespace mcsec::control::lkh
