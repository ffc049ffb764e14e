// Whole MIKE groups on the simulated clock and network: convergence from scratch, leave, restart,
// restore, TM handover and crash, loss, duplication and reordering.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

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

TEST(MikeProtocolGroup, RetransmissionsAreIdenticalCopiesUnderTheirOriginalNumber) {
    // With loss, states, path updates and ACKs are sent more than once. Every copy of one
    // (sender, session, number) must be the same bytes, so a receiver that got the first copy
    // refuses the others as replays and none can carry anything new.
    SimGroup group({.drop = 0.3, .duplicate = 0.0, .max_delay_ms = 20}, 5);
    group.record_wire(true);
    group.start(6);
    ASSERT_TRUE(group.run_until([&] { return group.converged(); }, 120s));
    std::map<std::tuple<NodeId, std::uint64_t, std::uint64_t>, std::vector<std::uint8_t>> first;
    std::size_t copies = 0;
    for (const auto& [sender, bytes] : group.wire()) {
        ParsedMessage parsed;
        ASSERT_EQ(parse_message(bytes, parsed), MessageParseError::Ok);
        const auto& h = parsed.message.header;
        EXPECT_EQ(h.sender, sender);
        const auto key = std::make_tuple(h.sender, h.session, h.number);
        const auto [it, fresh] = first.try_emplace(key, bytes);
        if (!fresh) {
            ++copies;
            EXPECT_EQ(it->second, bytes) << "a second copy of " << h.sender << " #" << h.number
                                         << " (" << to_string(h.type) << ") differs";
        }
    }
    EXPECT_GT(copies, 0u) << "30% loss made nobody retransmit: the check above saw no copies";
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

// Join latency with discovery's real timing (IDP hellos every H on each node's own grid): from
// the moment the first member's discovery reports the newcomer to the moment the last of the
// `members` nodes holds the key with all of them. Nothing but network delay should be in it:
// the newcomer must not wait for the others' next hello, nor a refused message for its
// retransmission an interval later.
Duration join_latency(std::size_t members, SimGroup::Net net, unsigned seed, Duration start_at) {
    constexpr Duration kH = 200ms;  // as in the integration tests
    SimGroup group(net, seed);
    group.use_idp(kH);
    // The established members start spread over one interval, so their hello grids differ.
    for (std::size_t i = 0; i + 1 < members; ++i) {
        group.add(SimGroup::name(i), 1);
        group.run_for(kH / static_cast<int>(members));
    }
    const auto established = names(members - 1);
    EXPECT_TRUE(group.run_until([&] { return group.converged(established); }, 30s));
    group.run_for(2s + start_at);  // idle; the newcomer starts at a chosen phase of the grids

    const std::string newcomer = SimGroup::name(members - 1);
    group.add(newcomer, 1);
    const auto all = names(members);
    if (!group.run_until([&] { return group.converged(all); }, 30s)) {
        ADD_FAILURE() << "the newcomer was not keyed in";
        return Duration::max();
    }
    TimePoint detected = TimePoint::max();
    for (const std::string& id : established) {
        for (const auto& [when, event] : group.node(id).events) {
            if (event.node_id == newcomer && event.kind == IdpEventKind::Join) {
                detected = std::min(detected, when);
            }
        }
    }
    TimePoint keyed = TimePoint::min();
    for (const std::string& id : all) {
        const SimNode& node = group.node(id);
        for (std::size_t k = 0; k < node.keys.size(); ++k) {
            if (node.keys[k].members.size() == members) {
                keyed = std::max(keyed, node.key_times[k]);
                break;
            }
        }
    }
    EXPECT_NE(detected, TimePoint::max());
    return std::chrono::duration_cast<Duration>(keyed - detected);
}

TEST(MikeProtocolGroup, JoinCompletesRightAfterDiscoveryWithoutNetworkDelay) {
    SimGroup::Net instant;
    instant.max_delay_ms = 0;
    for (const Duration phase : {0ms, 3ms, 37ms, 101ms, 199ms}) {
        EXPECT_LE(join_latency(10, instant, 21, phase), 0ms) << "newcomer at +" << phase.count();
    }
    EXPECT_LE(join_latency(50, instant, 22, 57ms), 0ms);
}

// With delays of up to 2 ms, a member's messages may overtake its hello on the way to the
// newcomer, which refuses them (unknown sender) until it has heard the hello: the newcomer asks
// again when it learns the TM, and the TM answers at once.
TEST(MikeProtocolGroup, JoinCompletesWithinMillisecondsDespiteReordering) {
    SimGroup::Net jitter;
    jitter.max_delay_ms = 2;
    for (unsigned seed = 30; seed < 40; ++seed) {
        const Duration phase = std::chrono::milliseconds(seed * 17 % 200);
        EXPECT_LE(join_latency(10, jitter, seed, phase), 12ms) << "seed " << seed;
    }
}

// The newcomer has the smallest id: the TM hands over to it as soon as discovery reports it, and
// the newcomer (which hears the old TM's hello first) must not remove the members whose hellos
// it has not heard yet.
TEST(MikeProtocolGroup, SmallerNewcomerTakesOverWithRealDiscoveryWithoutDroppingMembers) {
    constexpr Duration kH = 200ms;
    SimGroup::Net net;
    net.max_delay_ms = 1;
    SimGroup group(net, 41);
    group.use_idp(kH);
    std::vector<std::string> established;
    for (std::size_t i = 1; i <= 9; ++i) {
        established.push_back(SimGroup::name(i));
        group.add(established.back(), 1);
        group.run_for(kH / 9);
    }
    ASSERT_TRUE(group.run_until([&] { return group.converged(established); }, 30s));
    group.run_for(1s + 71ms);
    const std::size_t keys_before = group.node(SimGroup::name(5)).keys.size();
    group.add(SimGroup::name(0), 1);
    ASSERT_TRUE(group.run_until([&] { return group.converged(names(10)); }, 30s));
    EXPECT_TRUE(group.engine(SimGroup::name(0)).is_tm());
    // No epoch without some established member on the way (a member dropped and rejoined).
    const SimNode& member = group.node(SimGroup::name(5));
    for (std::size_t k = keys_before; k < member.keys.size(); ++k) {
        EXPECT_GE(member.keys[k].members.size(), 9u) << "epoch " << member.keys[k].epoch;
    }
}

}  // namespace
}  // namespace mcsec::control::mike::testing
