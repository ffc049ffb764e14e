// Whole MIKE groups on the simulated clock and network: convergence from scratch, leave, restart,
// restore, TM handover and crash, loss, duplication and reordering.
#include <gtest/gtest.h>

#include "mike_protocol_sim.hpp"

namespace mcsec::control::mike::testing {
namespace {

using idp::IdpEventKind;

std::vector<std::string> names(std::size_t count, std::size_t skip = SIZE_MAX) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
        if (i != skip) out.push_back(SimGroup::name(i));
    }
    return out;
}

void expect_from_scratch(std::size_t members, SimGroup::Net net, Duration limit,
                         unsigned seed = 1) {
    SimGroup group(net, seed);
    group.start(members);
    const bool ok = group.run_until([&] { return group.converged(); }, limit);
    if (!ok) {
        for (auto& [id, node] : group.nodes()) {
            ADD_FAILURE() << id << " tm=" << node.engine->tm() << " epoch=" << node.engine->epoch()
                          << " members=" << node.engine->members().size()
                          << " keyfail=" << node.engine->counters().key_failures
                          << " timeouts=" << node.engine->counters().sponsor_timeouts
                          << " acc=" << node.engine->counters().count(MikeVerdict::Accepted)
                          << " ign=" << node.engine->counters().count(MikeVerdict::Ignored)
                          << " stale=" << node.engine->counters().count(MikeVerdict::StaleEpoch)
                          << " nottm=" << node.engine->counters().count(MikeVerdict::NotFromTm)
                          << " sent=" << node.engine->counters().sent;
        }
    }
    ASSERT_TRUE(ok) << members << " members did not converge";
    EXPECT_TRUE(group.engine(SimGroup::name(0)).is_tm());
    const EpochKey& key = group.latest_key(SimGroup::name(0));
    EXPECT_GE(key.spi, kMinSpi);
    EXPECT_EQ(key.key_and_salt.size(), 36u);
    for (const auto& [id, node] : group.nodes()) {
        EXPECT_EQ(node.engine->tm(), SimGroup::name(0)) << id;
        EXPECT_EQ(node.engine->counters().count(MikeVerdict::Malformed), 0u);
        EXPECT_EQ(node.engine->counters().count(MikeVerdict::BadSignature), 0u);
    }
}

TEST(MikeProtocolGroup, TwoMembersConvergeFromScratch) {
    expect_from_scratch(2, {}, 30s);
}

TEST(MikeProtocolGroup, ThreeMembersConvergeFromScratch) {
    expect_from_scratch(3, {}, 30s);
}

TEST(MikeProtocolGroup, TenMembersConvergeFromScratch) {
    expect_from_scratch(10, {}, 60s);
}

TEST(MikeProtocolGroup, FiftyMembersConvergeFromScratch) {
    expect_from_scratch(50, {}, 300s);
}

TEST(MikeProtocolGroup, TenMembersConvergeWithThirtyPercentLoss) {
    for (unsigned seed = 1; seed <= 20; ++seed) {
        SCOPED_TRACE(seed);
        expect_from_scratch(10, {.drop = 0.3, .duplicate = 0.1, .max_delay_ms = 20}, 120s, seed);
    }
}

TEST(MikeProtocolGroup, DuplicatesAndReorderingAreHarmless) {
    SimGroup group({.drop = 0.0, .duplicate = 0.5, .max_delay_ms = 200}, 7);
    group.start(6);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 120s));
    std::uint64_t replays = 0;
    for (const auto& [id, node] : group.nodes()) {
        replays += node.engine->counters().count(MikeVerdict::Replay);
        // Every key a node got is for a strictly newer epoch than the one before.
        for (std::size_t i = 1; i < node.keys.size(); ++i) {
            EXPECT_GT(node.keys[i].epoch, node.keys[i - 1].epoch) << id;
        }
    }
    EXPECT_GT(replays, 0u);  // the duplicates arrived and were refused
}

// A member that is cut off from sending but still hears everything (the worst case for forward
// secrecy): the others see it LEAVE, the TM removes it, and it cannot derive the new key.
TEST(MikeProtocolGroup, LeaveRekeysAndTheRemovedMemberCannotDeriveTheNewKey) {
    SimGroup group({}, 3);
    group.start(5);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    const std::string leaver = SimGroup::name(3);
    const std::uint64_t old_epoch = group.latest_key(leaver).epoch;

    group.mute().insert(leaver);
    group.idp_all(IdpEventKind::Leave, leaver);
    const auto rest = names(5, 3);
    ASSERT_TRUE(group.run_until([&] { return group.converged(rest); }, 60s));
    const EpochKey& fresh = group.latest_key(SimGroup::name(0));
    EXPECT_GT(fresh.epoch, old_epoch);
    for (const EpochKey& key : group.node(leaver).keys) {
        EXPECT_LT(key.epoch, fresh.epoch);
        EXPECT_FALSE(key.key_and_salt.equals(fresh.key_and_salt.view()));
    }
    group.run_for(20s);  // it keeps hearing the group and still gets nothing
    EXPECT_LT(group.engine(leaver).epoch(), fresh.epoch);
}

TEST(MikeProtocolGroup, RestartedMemberRejoins) {
    SimGroup group({}, 4);
    group.start(4);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    const std::string restarted = SimGroup::name(2);
    const std::uint64_t before = group.latest_key(SimGroup::name(0)).epoch;

    group.add(restarted, 2);  // a new run: new startup timestamp, new leaf secret
    group.idp_all(IdpEventKind::Join, restarted);
    for (const auto& id : names(4, 2)) group.idp(restarted, IdpEventKind::Join, id);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    EXPECT_GT(group.latest_key(restarted).epoch, before);
}

TEST(MikeProtocolGroup, RestoredMemberRejoinsAfterAPartition) {
    SimGroup group({}, 5);
    group.start(4);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    const std::string cut = SimGroup::name(2);

    group.node(cut).isolated = true;
    group.run_for(4 * kHello);
    group.idp_all(IdpEventKind::Leave, cut);
    for (const auto& id : names(4, 2)) group.idp(cut, IdpEventKind::Leave, id);
    ASSERT_TRUE(group.run_until([&] { return group.converged(names(4, 2)); }, 60s));
    // Alone, the cut-off node is its own TM and keys a group of one.
    ASSERT_TRUE(group.run_until([&] { return group.converged({cut}); }, 60s));
    EXPECT_TRUE(group.engine(cut).is_tm());

    group.node(cut).isolated = false;
    group.idp_all(IdpEventKind::Restore, cut);
    for (const auto& id : names(4, 2)) group.idp(cut, IdpEventKind::Restore, id);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    EXPECT_FALSE(group.engine(cut).is_tm());
}

TEST(MikeProtocolGroup, TmHandsOverWhenItLeavesGracefully) {
    SimGroup group({}, 6);
    group.start(5);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    const std::string tm = SimGroup::name(0);
    ASSERT_TRUE(group.engine(tm).is_tm());
    const std::uint64_t before = group.latest_key(tm).epoch;

    for (auto& datagram : group.engine(tm).shutdown(group.now())) {
        for (auto& [id, node] : group.nodes()) {
            if (id != tm) node.engine->on_datagram(datagram, group.now(), SimGroup::wall());
        }
    }
    group.node(tm).up = false;
    const auto rest = names(5, 0);
    // Well before discovery would notice (4H): the handover did it.
    ASSERT_TRUE(group.run_until([&] { return group.converged(rest); }, 3 * kHello));
    EXPECT_TRUE(group.engine(SimGroup::name(1)).is_tm());
    EXPECT_GT(group.latest_key(SimGroup::name(1)).epoch, before);
}

TEST(MikeProtocolGroup, CrashedTmIsReplacedByElection) {
    SimGroup group({.drop = 0.1, .duplicate = 0.0, .max_delay_ms = 5}, 8);
    group.start(6);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 120s));
    const std::string tm = SimGroup::name(0);
    const std::uint64_t before = group.latest_key(SimGroup::name(1)).epoch;

    group.node(tm).up = false;
    group.run_for(4 * kHello);
    group.idp_all(IdpEventKind::Leave, tm);
    ASSERT_TRUE(group.run_until([&] { return group.converged(names(6, 0)); }, 120s));
    EXPECT_TRUE(group.engine(SimGroup::name(1)).is_tm());
    EXPECT_GT(group.latest_key(SimGroup::name(1)).epoch, before);
}

// A node with a smaller id than the TM comes up: it is elected, the old TM hands it the state,
// and the group keeps counting epochs upwards.
TEST(MikeProtocolGroup, SmallerNewcomerTakesOverWithoutResettingTheEpoch) {
    SimGroup group({}, 9);
    for (std::size_t i = 1; i <= 4; ++i) group.add(SimGroup::name(i), 1);
    for (std::size_t i = 1; i <= 4; ++i) {
        for (std::size_t j = 1; j <= 4; ++j) {
            if (i != j) group.idp(SimGroup::name(i), IdpEventKind::Join, SimGroup::name(j));
        }
    }
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    const std::uint64_t before = group.latest_key(SimGroup::name(1)).epoch;

    const std::string newcomer = SimGroup::name(0);
    group.add(newcomer, 1);
    group.idp_all(IdpEventKind::Join, newcomer);
    for (std::size_t j = 1; j <= 4; ++j) group.idp(newcomer, IdpEventKind::Join, SimGroup::name(j));
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    EXPECT_TRUE(group.engine(newcomer).is_tm());
    EXPECT_GT(group.latest_key(newcomer).epoch, before);
}

TEST(MikeProtocolGroup, TmRekeysOnRequestWithoutMembershipChange) {
    SimGroup group({}, 10);
    group.start(3);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    const std::uint64_t before = group.latest_key(SimGroup::name(1)).epoch;
    EXPECT_FALSE(group.engine(SimGroup::name(1)).request_rekey(group.now()));
    EXPECT_TRUE(group.engine(SimGroup::name(0)).request_rekey(group.now()));
    ASSERT_TRUE(group.run_until(
        [&] { return group.converged() && group.latest_key(SimGroup::name(2)).epoch > before; },
        30s));
}

TEST(MikeProtocolGroup, IdleGroupGoesQuietOnceEveryoneAcknowledged) {
    SimGroup group({}, 11);
    group.start(4);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 60s));
    group.run_for(5s);  // let the last ACKs land
    std::uint64_t sent = 0;
    for (const auto& [id, node] : group.nodes()) sent += node.engine->counters().sent;
    group.run_for(60s);
    std::uint64_t later = 0;
    for (const auto& [id, node] : group.nodes()) later += node.engine->counters().sent;
    EXPECT_EQ(later, sent);
}

}  // namespace
}  // namespace mcsec::control::mike::testing
