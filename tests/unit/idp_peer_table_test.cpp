// The peer state machine: JOIN / LEAVE / RESTORE on a simulated clock, and every way a hello is
// refused.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "idp_test_support.hpp"
#include "mcsec/control/idp/hello_sender.hpp"
#include "mcsec/control/idp/peer_table.hpp"

namespace mcsec::control::idp::test {
namespace {

class IdpPeerTable : public ::testing::Test {
  protected:
    // Delivers `datagram` at `now` and returns the verdict; events pile up in `events`.
    HelloVerdict deliver(const std::vector<std::uint8_t>& datagram, TimePoint now) {
        return table.on_hello(datagram, now, kWallNow, events);
    }
    HelloVerdict deliver_from(const TestAuthenticator& peer, std::uint64_t startup_timestamp,
                              std::uint64_t sequence, TimePoint now) {
        return deliver(signed_hello(peer, startup_timestamp, sequence), now);
    }
    std::vector<IdpEvent> take_events() { return std::exchange(events, {}); }
    static IdpEvent event(IdpEventKind kind, const std::string& node, std::uint64_t timestamp,
                          config::IpAddress address = v4(192, 0, 2, 1)) {
        return IdpEvent{kind, node, address, timestamp};
    }

    TestAuthenticator self{"alpha"};
    TestAuthenticator bravo{"bravo"};
    TestAuthenticator charlie{"charlie"};
    PeerTable table{self, kH};
    std::vector<IdpEvent> events;
};

TEST_F(IdpPeerTable, FirstHelloIsAJoin) {
    EXPECT_EQ(deliver_from(bravo, 100, 1, kT0), HelloVerdict::Accepted);
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Join, "bravo", 100)});
    const Peer* peer = table.find("bravo");
    ASSERT_NE(peer, nullptr);
    EXPECT_EQ(peer->state, PeerState::Up);
    EXPECT_EQ(peer->startup_timestamp, 100U);
    EXPECT_EQ(peer->sequence, 1U);
    EXPECT_EQ(peer->last_heard, kT0);
    EXPECT_EQ(table.counters().count(HelloVerdict::Accepted), 1U);
}

TEST_F(IdpPeerTable, RegularHellosCauseNoFurtherEvents) {
    for (int n = 0; n < 20; ++n) {
        const TimePoint now = kT0 + n * kH;
        ASSERT_EQ(deliver_from(bravo, 100, static_cast<std::uint64_t>(n + 1), now),
                  HelloVerdict::Accepted);
        table.expire(now + kH - 1ms, events);
    }
    EXPECT_EQ(take_events().size(), 1U);  // the JOIN only
}

TEST_F(IdpPeerTable, DownAtExactlyFourIntervalsNotBefore) {
    deliver_from(bravo, 100, 1, kT0);
    take_events();
    EXPECT_EQ(table.next_expiry(), kT0 + 4 * kH);

    table.expire(kT0 + 4 * kH - 1ms, events);
    EXPECT_TRUE(take_events().empty());
    EXPECT_EQ(table.find("bravo")->state, PeerState::Up);

    table.expire(kT0 + 4 * kH, events);
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Leave, "bravo", 100)});
    EXPECT_EQ(table.find("bravo")->state, PeerState::Down);
    EXPECT_FALSE(table.next_expiry());

    // A down peer leaves once.
    table.expire(kT0 + 40 * kH, events);
    EXPECT_TRUE(take_events().empty());
}

TEST_F(IdpPeerTable, DeadIntervalFollowsTheHelloInterval) {
    PeerTable fast(self, 250ms);
    fast.on_hello(signed_hello(bravo, 1, 1), kT0, kWallNow, events);
    take_events();
    fast.expire(kT0 + 999ms, events);
    EXPECT_TRUE(take_events().empty());
    fast.expire(kT0 + 1000ms, events);
    EXPECT_EQ(take_events().size(), 1U);
}

TEST_F(IdpPeerTable, FlappingShorterThanFourIntervalsChangesNothing) {
    std::uint64_t sequence = 1;
    TimePoint now = kT0;
    deliver_from(bravo, 100, sequence++, now);
    take_events();
    // Gaps up to just under 4H, with the expiry timer running throughout.
    for (const Duration gap : {3999ms, 2000ms, 3500ms, 1000ms, 3999ms}) {
        for (TimePoint tick = now + 100ms; tick < now + gap; tick += 100ms) {
            table.expire(tick, events);
        }
        now += gap;
        ASSERT_EQ(deliver_from(bravo, 100, sequence++, now), HelloVerdict::Accepted);
    }
    EXPECT_TRUE(take_events().empty());
    EXPECT_EQ(table.find("bravo")->state, PeerState::Up);
}

TEST_F(IdpPeerTable, SameTimestampAfterDownIsARestore) {
    deliver_from(bravo, 100, 1, kT0);
    table.expire(kT0 + 4 * kH, events);
    take_events();

    EXPECT_EQ(deliver_from(bravo, 100, 9, kT0 + 7 * kH), HelloVerdict::Accepted);
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Restore, "bravo", 100)});
    EXPECT_EQ(table.find("bravo")->state, PeerState::Up);
    EXPECT_EQ(table.next_expiry(), kT0 + 11 * kH);
}

TEST_F(IdpPeerTable, LateHelloWithoutExpiryTimerStillLeavesThenRestores) {
    deliver_from(bravo, 100, 1, kT0);
    take_events();
    // The daemon never ran expire(); the outcome must not depend on it.
    deliver_from(bravo, 100, 2, kT0 + 5 * kH);
    EXPECT_EQ(take_events(), (std::vector{event(IdpEventKind::Leave, "bravo", 100),
                                          event(IdpEventKind::Restore, "bravo", 100)}));
}

TEST_F(IdpPeerTable, NewTimestampWhileUpIsARestartJoin) {
    deliver_from(bravo, 100, 50, kT0);
    take_events();
    // Restarted quickly: a greater timestamp, sequence back at 1.
    EXPECT_EQ(deliver_from(bravo, 200, 1, kT0 + kH), HelloVerdict::Accepted);
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Join, "bravo", 200)});
    EXPECT_EQ(table.find("bravo")->startup_timestamp, 200U);
}

TEST_F(IdpPeerTable, NewTimestampAfterDownIsAJoinNotARestore) {
    deliver_from(bravo, 100, 50, kT0);
    table.expire(kT0 + 4 * kH, events);
    take_events();
    deliver_from(bravo, 200, 1, kT0 + 6 * kH);
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Join, "bravo", 200)});
}

TEST_F(IdpPeerTable, ReplayedHellosAreRefusedAndKeepNoPeerAlive) {
    const auto first = signed_hello(bravo, 100, 5);
    deliver(first, kT0);
    take_events();

    EXPECT_EQ(deliver(first, kT0 + 1 * kH), HelloVerdict::Replay);                 // same
    EXPECT_EQ(deliver_from(bravo, 100, 4, kT0 + 2 * kH), HelloVerdict::Replay);    // older seq
    EXPECT_EQ(deliver_from(bravo, 99, 1000, kT0 + 3 * kH), HelloVerdict::Replay);  // older run
    EXPECT_EQ(table.counters().count(HelloVerdict::Replay), 3U);
    EXPECT_EQ(table.find("bravo")->sequence, 5U);

    // Replays refreshed nothing: the peer still dies 4H after its last genuine hello.
    table.expire(kT0 + 4 * kH, events);
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Leave, "bravo", 100)});
    // ...and a replay does not restore it either.
    EXPECT_EQ(deliver(first, kT0 + 5 * kH), HelloVerdict::Replay);
    EXPECT_TRUE(take_events().empty());
    EXPECT_EQ(table.find("bravo")->state, PeerState::Down);
}

TEST_F(IdpPeerTable, HellosOfAnEarlierRunAreReplaysAfterARestart) {
    deliver_from(bravo, 100, 70, kT0);
    deliver_from(bravo, 200, 1, kT0 + kH);
    take_events();
    EXPECT_EQ(deliver_from(bravo, 100, 71, kT0 + 2 * kH), HelloVerdict::Replay);
    EXPECT_TRUE(take_events().empty());
}

TEST_F(IdpPeerTable, ReplaysAreRefusedBeforeTheSignatureIsChecked) {
    const auto first = signed_hello(bravo, 100, 5);
    deliver(first, kT0);
    const int verified = self.verifications();
    EXPECT_EQ(deliver(first, kT0 + kH), HelloVerdict::Replay);
    EXPECT_EQ(self.verifications(), verified);
}

TEST_F(IdpPeerTable, OwnNodeIdIsRefused) {
    // Our own hello looped back, or another box configured with our name.
    const TestAuthenticator impostor("alpha");
    EXPECT_EQ(deliver_from(impostor, 100, 1, kT0), HelloVerdict::OwnNodeId);
    EXPECT_EQ(table.find("alpha"), nullptr);
    EXPECT_TRUE(take_events().empty());
    EXPECT_EQ(table.counters().count(HelloVerdict::OwnNodeId), 1U);
    EXPECT_EQ(self.verifications(), 0);
}

TEST_F(IdpPeerTable, ForgedHelloIsRefusedAndPoisonsNothing) {
    auto forged = signed_hello(bravo, 100, 1);
    // Raise the sequence's low byte without re-signing: an attacker bumping the counter.
    ParsedHello parsed;
    ASSERT_EQ(parse_hello(forged, parsed), ParseError::Ok);
    // The signed bytes end with the sequence, the served-group list (one count byte when empty)
    // and the credential with its two-byte length.
    const std::size_t sequence_end = parsed.signed_bytes.size() - 2 - bravo.credential().size() - 1;
    forged[sequence_end - 1] = 0xFF;
    EXPECT_EQ(deliver(forged, kT0), HelloVerdict::BadSignature);
    EXPECT_EQ(alarm_for(HelloVerdict::BadSignature), IdpAlarm::SignFailed);
    EXPECT_EQ(table.find("bravo"), nullptr);
    EXPECT_TRUE(take_events().empty());

    // The genuine hello with a lower sequence is still welcome.
    EXPECT_EQ(deliver_from(bravo, 100, 1, kT0 + 1ms), HelloVerdict::Accepted);
    EXPECT_EQ(take_events().size(), 1U);
}

TEST_F(IdpPeerTable, HelloFromAnotherDeploymentIsRefused) {
    const TestAuthenticator outsider("bravo", 16, "another-deployment");
    EXPECT_EQ(deliver_from(outsider, 100, 1, kT0), HelloVerdict::BadSignature);
    EXPECT_EQ(table.counters().count(HelloVerdict::BadSignature), 1U);
}

TEST_F(IdpPeerTable, CredentialNamingAnotherNodeIsRefused) {
    // charlie's credential in a hello claiming to be bravo.
    const Hello hello{"bravo", v4(192, 0, 2, 1),
                      100,     1,
                      {},      {charlie.credential().begin(), charlie.credential().end()}};
    EXPECT_EQ(deliver(encode_hello(hello, bravo), kT0), HelloVerdict::IdentityMismatch);
}

TEST_F(IdpPeerTable, EveryAuthenticatorFailureHasItsVerdict) {
    const std::pair<AuthResult, HelloVerdict> cases[] = {
        {AuthResult::BadSignature, HelloVerdict::BadSignature},
        {AuthResult::UntrustedCredential, HelloVerdict::UntrustedCredential},
        {AuthResult::Expired, HelloVerdict::CredentialExpired},
        {AuthResult::IdentityMismatch, HelloVerdict::IdentityMismatch},
        {AuthResult::Malformed, HelloVerdict::MalformedCredential},
    };
    for (const auto& [result, verdict] : cases) {
        self.force_result("bravo", result);
        EXPECT_EQ(deliver_from(bravo, 100, 1, kT0), verdict) << to_string(result);
        EXPECT_EQ(alarm_for(verdict), IdpAlarm::SignFailed);
        EXPECT_EQ(table.counters().count(verdict), 1U);
    }
    EXPECT_EQ(table.find("bravo"), nullptr);
    EXPECT_TRUE(take_events().empty());
}

TEST_F(IdpPeerTable, MalformedDatagramIsCountedWithItsReason) {
    auto bytes = signed_hello(bravo, 100, 1);
    bytes[2] = 9;
    EXPECT_EQ(deliver(bytes, kT0), HelloVerdict::Malformed);
    EXPECT_EQ(deliver({}, kT0), HelloVerdict::Malformed);
    EXPECT_EQ(table.counters().count(HelloVerdict::Malformed), 2U);
    EXPECT_EQ(table.counters().count(ParseError::UnsupportedVersion), 1U);
    EXPECT_EQ(table.counters().count(ParseError::Truncated), 1U);
    EXPECT_EQ(alarm_for(HelloVerdict::Malformed), IdpAlarm::MalformedPacket);
}

TEST_F(IdpPeerTable, PeersAreIndependent) {
    std::uint64_t bravo_sequence = 1;
    deliver_from(bravo, 100, bravo_sequence++, kT0);
    deliver_from(charlie, 300, 1, kT0 + 500ms);
    EXPECT_EQ(take_events(), (std::vector{event(IdpEventKind::Join, "bravo", 100),
                                          event(IdpEventKind::Join, "charlie", 300)}));
    EXPECT_EQ(table.next_expiry(), kT0 + 4 * kH);

    // bravo keeps talking, charlie falls silent.
    for (int n = 1; n <= 6; ++n) {
        const TimePoint now = kT0 + n * kH;
        table.expire(now, events);
        deliver_from(bravo, 100, bravo_sequence++, now);
    }
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Leave, "charlie", 300)});
    EXPECT_EQ(table.find("bravo")->state, PeerState::Up);
    EXPECT_EQ(table.find("charlie")->state, PeerState::Down);

    // bravo restarts; charlie's state is untouched.
    deliver_from(bravo, 101, 1, kT0 + 7 * kH);
    EXPECT_EQ(take_events(), std::vector{event(IdpEventKind::Join, "bravo", 101)});
    EXPECT_EQ(table.find("charlie")->state, PeerState::Down);

    const auto all = table.peers();
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0].node_id, "bravo");
    EXPECT_EQ(all[1].node_id, "charlie");
}

TEST_F(IdpPeerTable, NewBlackAddressInTheSameRunIsTakenOverSilently) {
    deliver(signed_hello(bravo, 100, 1, v4(192, 0, 2, 1)), kT0);
    take_events();
    deliver(signed_hello(bravo, 100, 2, v4(198, 51, 100, 9)), kT0 + kH);
    EXPECT_TRUE(take_events().empty());
    EXPECT_EQ(table.find("bravo")->black_address, v4(198, 51, 100, 9));
}

TEST_F(IdpPeerTable, FullTableRefusesNewPeersButServesKnownOnes) {
    PeerTable small(self, kH, 1);
    EXPECT_EQ(small.on_hello(signed_hello(bravo, 1, 1), kT0, kWallNow, events),
              HelloVerdict::Accepted);
    EXPECT_EQ(small.on_hello(signed_hello(charlie, 1, 1), kT0, kWallNow, events),
              HelloVerdict::TableFull);
    EXPECT_EQ(small.on_hello(signed_hello(bravo, 1, 2), kT0 + kH, kWallNow, events),
              HelloVerdict::Accepted);
    // A down peer still holds its slot (its replay state must survive).
    small.expire(kT0 + 10 * kH, events);
    EXPECT_EQ(small.on_hello(signed_hello(charlie, 1, 2), kT0 + 10 * kH, kWallNow, events),
              HelloVerdict::TableFull);
}

TEST(IdpHelloVerdicts, TableIsComplete) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < kHelloVerdictCount; ++i) {
        const auto verdict = static_cast<HelloVerdict>(i);
        EXPECT_FALSE(to_string(verdict).empty());
        names.emplace(counter_name(verdict));
    }
    EXPECT_EQ(names.size(), kHelloVerdictCount);
    EXPECT_EQ(alarm_for(HelloVerdict::Accepted), IdpAlarm::None);
    EXPECT_EQ(alarm_for(HelloVerdict::Replay), IdpAlarm::None);
    EXPECT_EQ(alarm_for(HelloVerdict::CredentialExpired), IdpAlarm::SignFailed);
    EXPECT_EQ(to_string(IdpAlarm::MalformedPacket), "MALFORMED_PACKET");
    EXPECT_EQ(to_string(IdpAlarm::SignFailed), "SIGN_FAILED");
}

// Sender and table together over a lossy link: how many lost hellos in a row it takes to
// declare a peer down.
class IdpLossyLink : public ::testing::Test {
  protected:
    // Runs bravo's sender for `hellos` intervals, dropping those whose index is in `lost`;
    // alpha's table runs its expiry timer every 100 ms. Returns alpha's events.
    std::vector<IdpEvent> run(int hellos, const std::set<int>& lost) {
        HelloSender sender(bravo, v4(192, 0, 2, 2), 55, kH, kT0);
        PeerTable table(alpha, kH);
        std::vector<IdpEvent> events;
        int index = 0;
        for (TimePoint now = kT0; now < kT0 + hellos * kH; now += 100ms) {
            table.expire(now, events);
            if (auto datagram = sender.poll(now)) {
                if (!lost.contains(index)) {
                    table.on_hello(*datagram, now, kWallNow, events);
                }
                ++index;
            }
        }
        return events;
    }

    TestAuthenticator alpha{"alpha"};
    TestAuthenticator bravo{"bravo"};
};

TEST_F(IdpLossyLink, TwoLostHellosInARowChangeNothing) {
    EXPECT_EQ(run(20, {3, 4, 9, 10, 15, 16}).size(), 1U);  // the JOIN
}

TEST_F(IdpLossyLink, ThreeLostInARowPutTheFourthOnTheBoundary) {
    // Hellos 1..3 lost: hello 4 arrives exactly 4H after hello 0, the moment the peer is down.
    const auto boundary = run(10, {1, 2, 3});
    ASSERT_EQ(boundary.size(), 3U);
    EXPECT_EQ(boundary[1].kind, IdpEventKind::Leave);
    EXPECT_EQ(boundary[2].kind, IdpEventKind::Restore);
}

TEST_F(IdpLossyLink, FourLostHellosAreALeaveThenARestore) {
    const auto events = run(12, {2, 3, 4, 5});
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[0].kind, IdpEventKind::Join);
    EXPECT_EQ(events[1].kind, IdpEventKind::Leave);
    EXPECT_EQ(events[2].kind, IdpEventKind::Restore);
    EXPECT_EQ(events[2].startup_timestamp, 55U);
}

}  // namespace
TEST_F(IdpPeerTable, ServedGroupsAreFixedPerRun) {
    const auto address = v4(192, 0, 2, 1);
    ASSERT_EQ(deliver(signed_hello(bravo, 100, 1, address, {"239.1.1.1"}), kT0),
              HelloVerdict::Accepted);
    EXPECT_EQ(table.find("bravo")->groups, std::vector<std::string>{"239.1.1.1"});
    EXPECT_FALSE(table.find("bravo")->credential.empty());
    // The same run announcing another list: refused before its signature is checked.
    EXPECT_EQ(deliver(signed_hello(bravo, 100, 2, address, {"239.1.1.2"}), kT0 + kH),
              HelloVerdict::GroupsChanged);
    EXPECT_EQ(table.find("bravo")->groups, std::vector<std::string>{"239.1.1.1"});
    // A restart may change it (keying sees a JOIN).
    events.clear();
    ASSERT_EQ(deliver(signed_hello(bravo, 101, 1, address, {"239.1.1.2"}), kT0 + 2 * kH),
              HelloVerdict::Accepted);
    EXPECT_EQ(table.find("bravo")->groups, std::vector<std::string>{"239.1.1.2"});
}

}  // namespace mcsec::control::idp::test
