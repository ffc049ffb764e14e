// The red-prefix exchange: when announcements go out, when they stop, what is accepted.
#include <gtest/gtest.h>

#include <string>

#include "idp_test_support.hpp"
#include "mcsec/control/idp/prefix_exchange.hpp"

namespace mcsec::control::idp::test {
namespace {

config::Prefix prefix(const std::string& text) {
    return *config::Prefix::parse(text);
}

IdpEvent event(IdpEventKind kind, const std::string& node, std::uint64_t timestamp = 1) {
    return IdpEvent{kind, node, v4(192, 0, 2, 2), timestamp};
}

PrefixAnnouncement decode(const OutgoingMessage& message) {
    PrefixAnnouncement announcement;
    EXPECT_EQ(parse_prefix_announcement(message.bytes, announcement), ParseError::Ok);
    return announcement;
}

class IdpPrefixExchange : public ::testing::Test {
  protected:
    IdpPrefixExchange() { exchange.set_local_prefixes({prefix("10.1.0.0/16")}, kT0); }

    // Every announcement poll() sends to `peer` on a 100 ms timer over [from, to).
    std::vector<TimePoint> announcements_between(TimePoint from, TimePoint to,
                                                 const std::string& peer = "bravo") {
        std::vector<TimePoint> sent;
        for (TimePoint now = from; now < to; now += 100ms) {
            for (const auto& message : exchange.poll(now)) {
                if (message.peer == peer) sent.push_back(now);
            }
        }
        return sent;
    }
    PrefixVerdict ack(std::uint64_t version, TimePoint now, std::uint64_t timestamp = 500) {
        return exchange.on_message(
            "bravo", encode_prefix_ack(PrefixAck{"bravo", timestamp, version}), now, replies);
    }
    PrefixVerdict announce_from_bravo(std::uint64_t timestamp, std::uint64_t version,
                                      std::vector<config::Prefix> prefixes, TimePoint now) {
        return exchange.on_message(
            "bravo",
            encode_prefix_announcement(PrefixAnnouncement{"bravo", timestamp, version, prefixes}),
            now, replies);
    }

    PrefixExchange exchange{"alpha", 500, kH};
    std::vector<OutgoingMessage> replies;
};

TEST_F(IdpPrefixExchange, JoinAnnouncesAtOnceThenEveryInterval) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    EXPECT_EQ(exchange.next_due(), kT0);
    const auto sent = exchange.poll(kT0);
    ASSERT_EQ(sent.size(), 1U);
    EXPECT_EQ(sent[0].peer, "bravo");
    const auto announcement = decode(sent[0]);
    EXPECT_EQ(announcement.node_id, "alpha");
    EXPECT_EQ(announcement.startup_timestamp, 500U);
    EXPECT_EQ(announcement.version, exchange.local_version());
    EXPECT_EQ(announcement.prefixes, std::vector{prefix("10.1.0.0/16")});
    EXPECT_EQ(exchange.next_due(), kT0 + kH);
    EXPECT_EQ(announcements_between(kT0 + 100ms, kT0 + 3 * kH + 1ms),
              (std::vector{kT0 + kH, kT0 + 2 * kH, kT0 + 3 * kH}));
}

TEST_F(IdpPrefixExchange, StopsFourIntervalsAfterTheLastChangeOnceAcknowledged) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    exchange.poll(kT0);
    EXPECT_EQ(ack(exchange.local_version(), kT0 + 10ms), PrefixVerdict::Acknowledged);
    EXPECT_FALSE(exchange.quiet("bravo", kT0 + 4 * kH - 1ms));
    EXPECT_EQ(announcements_between(kT0 + 100ms, kT0 + 20 * kH),
              (std::vector{kT0 + kH, kT0 + 2 * kH, kT0 + 3 * kH}));
    EXPECT_TRUE(exchange.quiet("bravo", kT0 + 4 * kH));
    EXPECT_FALSE(exchange.next_due());
}

TEST_F(IdpPrefixExchange, WithoutAnAcknowledgementItNeverStops) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    EXPECT_EQ(announcements_between(kT0, kT0 + 30 * kH).size(), 30U);
    EXPECT_FALSE(exchange.quiet("bravo", kT0 + 30 * kH));
}

TEST_F(IdpPrefixExchange, LocalChangeRestartsAQuietExchangeAtOnce) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    ack(exchange.local_version(), kT0);
    announcements_between(kT0, kT0 + 5 * kH);
    ASSERT_TRUE(exchange.quiet("bravo", kT0 + 5 * kH));

    const TimePoint change = kT0 + 9 * kH + 30ms;
    const auto before = exchange.local_version();
    EXPECT_TRUE(
        exchange.set_local_prefixes({prefix("10.1.0.0/16"), prefix("10.2.0.0/16")}, change));
    EXPECT_EQ(exchange.local_version(), before + 1);
    EXPECT_EQ(exchange.next_due(), change);
    const auto sent = exchange.poll(change);
    ASSERT_EQ(sent.size(), 1U);
    EXPECT_EQ(decode(sent[0]).prefixes.size(), 2U);

    // The old version's acknowledgement no longer settles anything.
    EXPECT_EQ(ack(before, change + 10ms), PrefixVerdict::Stale);
    EXPECT_FALSE(exchange.quiet("bravo", change + 10 * kH));
    EXPECT_EQ(ack(before + 1, change + 20ms), PrefixVerdict::Acknowledged);
    EXPECT_FALSE(exchange.quiet("bravo", change + 4 * kH - 1ms));
    EXPECT_TRUE(exchange.quiet("bravo", change + 4 * kH));
}

TEST_F(IdpPrefixExchange, UnchangedSetKeepsTheVersion) {
    const auto version = exchange.local_version();
    // Same set written differently: host bits, order, a duplicate.
    EXPECT_FALSE(
        exchange.set_local_prefixes({prefix("10.1.2.3/16"), prefix("10.1.0.0/16")}, kT0 + kH));
    EXPECT_EQ(exchange.local_version(), version);
    EXPECT_EQ(exchange.local_prefixes(), std::vector{prefix("10.1.0.0/16")});
}

TEST_F(IdpPrefixExchange, TooManyLocalPrefixesAreRefused) {
    std::vector<config::Prefix> many;
    for (int i = 0; i <= static_cast<int>(kMaxPrefixesPerAnnouncement); ++i) {
        many.push_back(*config::Prefix::make(v4(10, static_cast<std::uint8_t>(i), 0, 0), 16));
    }
    EXPECT_THROW(exchange.set_local_prefixes(many, kT0), std::invalid_argument);
}

TEST_F(IdpPrefixExchange, PeerAnnouncementsAreAcknowledgedAndOrdered) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    EXPECT_EQ(announce_from_bravo(900, 3, {prefix("10.9.0.0/16")}, kT0), PrefixVerdict::Accepted);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_EQ(replies[0].peer, "bravo");
    PrefixAck sent_ack;
    ASSERT_EQ(parse_prefix_ack(replies[0].bytes, sent_ack), ParseError::Ok);
    EXPECT_EQ(sent_ack, (PrefixAck{"alpha", 900, 3}));
    EXPECT_EQ(*exchange.peer_prefixes("bravo"), std::vector{prefix("10.9.0.0/16")});

    replies.clear();
    EXPECT_EQ(announce_from_bravo(900, 3, {prefix("10.9.0.0/16")}, kT0 + kH),
              PrefixVerdict::Duplicate);
    EXPECT_EQ(replies.size(), 1U);  // acknowledged again: the first ack may be lost

    replies.clear();
    EXPECT_EQ(announce_from_bravo(900, 2, {prefix("10.8.0.0/16")}, kT0 + kH), PrefixVerdict::Stale);
    EXPECT_TRUE(replies.empty());
    EXPECT_EQ(*exchange.peer_prefixes("bravo"), std::vector{prefix("10.9.0.0/16")});

    EXPECT_EQ(announce_from_bravo(900, 4, {}, kT0 + 2 * kH), PrefixVerdict::Accepted);
    EXPECT_TRUE(exchange.peer_prefixes("bravo")->empty());
    EXPECT_EQ(exchange.count(PrefixVerdict::Accepted), 2U);
    EXPECT_EQ(exchange.count(PrefixVerdict::Stale), 1U);
}

TEST_F(IdpPrefixExchange, PeerChangeRestartsAQuietExchange) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    ack(exchange.local_version(), kT0);
    announcements_between(kT0, kT0 + 5 * kH);
    ASSERT_TRUE(exchange.quiet("bravo", kT0 + 5 * kH));

    const TimePoint change = kT0 + 6 * kH;
    announce_from_bravo(900, 1, {prefix("10.9.0.0/16")}, change);
    EXPECT_FALSE(exchange.quiet("bravo", change));
    EXPECT_EQ(announcements_between(change, change + 10 * kH),
              (std::vector{change, change + kH, change + 2 * kH, change + 3 * kH}));
}

TEST_F(IdpPrefixExchange, RestoreKeepsOrderingJoinStartsAfresh) {
    exchange.on_event(event(IdpEventKind::Join, "bravo", 900), kT0);
    announce_from_bravo(900, 5, {prefix("10.9.0.0/16")}, kT0);
    exchange.on_event(event(IdpEventKind::Leave, "bravo", 900), kT0 + 4 * kH);
    EXPECT_EQ(exchange.peer_prefixes("bravo"), nullptr);

    exchange.on_event(event(IdpEventKind::Join, "bravo", 901), kT0 + 5 * kH);
    EXPECT_EQ(announce_from_bravo(901, 1, {prefix("10.7.0.0/16")}, kT0 + 5 * kH),
              PrefixVerdict::Accepted);
    // A RESTORE keeps what was held: the older announcement stays stale.
    exchange.on_event(event(IdpEventKind::Restore, "bravo", 901), kT0 + 6 * kH);
    EXPECT_EQ(*exchange.peer_prefixes("bravo"), std::vector{prefix("10.7.0.0/16")});
    EXPECT_EQ(announce_from_bravo(900, 9, {}, kT0 + 6 * kH), PrefixVerdict::Stale);
}

TEST_F(IdpPrefixExchange, RestoreNeedsAFreshAcknowledgement) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    ack(exchange.local_version(), kT0);
    exchange.on_event(event(IdpEventKind::Restore, "bravo"), kT0 + 6 * kH);
    EXPECT_EQ(exchange.next_due(), kT0 + 6 * kH);
    EXPECT_FALSE(exchange.quiet("bravo", kT0 + 20 * kH));
}

TEST_F(IdpPrefixExchange, LeaveEndsTheExchange) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    exchange.on_event(event(IdpEventKind::Leave, "bravo"), kT0 + kH);
    EXPECT_TRUE(exchange.poll(kT0 + 2 * kH).empty());
    EXPECT_FALSE(exchange.next_due());
    EXPECT_EQ(ack(exchange.local_version(), kT0 + 2 * kH), PrefixVerdict::UnknownPeer);
}

TEST_F(IdpPrefixExchange, OwnEventsAreIgnored) {
    exchange.on_event(event(IdpEventKind::Join, "alpha"), kT0);
    EXPECT_TRUE(exchange.poll(kT0).empty());
}

TEST_F(IdpPrefixExchange, MessagesThatDoNotFitAreRefused) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    // Signed by TLS as bravo, but claiming charlie.
    EXPECT_EQ(
        exchange.on_message("bravo", encode_prefix_ack(PrefixAck{"charlie", 500, 1}), kT0, replies),
        PrefixVerdict::NodeMismatch);
    EXPECT_EQ(alarm_for(PrefixVerdict::NodeMismatch), IdpAlarm::SignFailed);
    // A node discovery has not reported up.
    EXPECT_EQ(
        exchange.on_message("delta", encode_prefix_ack(PrefixAck{"delta", 500, 1}), kT0, replies),
        PrefixVerdict::UnknownPeer);
    // Garbage, and a hello where only prefix messages belong.
    const std::vector<std::uint8_t> garbage{1, 2, 3};
    EXPECT_EQ(exchange.on_message("bravo", garbage, kT0, replies), PrefixVerdict::Malformed);
    const TestAuthenticator bravo("bravo");
    EXPECT_EQ(exchange.on_message("bravo", signed_hello(bravo, 1, 1), kT0, replies),
              PrefixVerdict::Malformed);
    EXPECT_EQ(exchange.count(PrefixVerdict::Malformed), 2U);
    EXPECT_EQ(alarm_for(PrefixVerdict::Malformed), IdpAlarm::MalformedPacket);
    EXPECT_TRUE(replies.empty());
}

TEST_F(IdpPrefixExchange, PeersAreIndependent) {
    exchange.on_event(event(IdpEventKind::Join, "bravo"), kT0);
    exchange.on_event(event(IdpEventKind::Join, "charlie"), kT0 + 500ms);
    ack(exchange.local_version(), kT0);
    const auto bravo = announcements_between(kT0, kT0 + 10 * kH, "bravo");
    EXPECT_EQ(bravo.size(), 4U);
    EXPECT_TRUE(exchange.quiet("bravo", kT0 + 10 * kH));
    EXPECT_FALSE(exchange.quiet("charlie", kT0 + 10 * kH));
    EXPECT_EQ(exchange.next_due(), kT0 + 500ms + 10 * kH);
}

// Two exchanges wired back to back on a lossless link: both learn the other's prefixes and both
// go quiet.
TEST(IdpPrefixExchangePair, ConvergesAndGoesQuiet) {
    PrefixExchange alpha("alpha", 10, kH);
    PrefixExchange bravo("bravo", 20, kH);
    alpha.set_local_prefixes({prefix("10.1.0.0/16")}, kT0);
    bravo.set_local_prefixes({prefix("10.2.0.0/16"), prefix("2001:db8:2::/48")}, kT0);
    alpha.on_event(IdpEvent{IdpEventKind::Join, "bravo", v4(192, 0, 2, 2), 20}, kT0);
    bravo.on_event(IdpEvent{IdpEventKind::Join, "alpha", v4(192, 0, 2, 1), 10}, kT0 + 300ms);

    int messages = 0;
    for (TimePoint now = kT0; now < kT0 + 30 * kH; now += 100ms) {
        for (auto [from, to] : {std::pair{&alpha, &bravo}, std::pair{&bravo, &alpha}}) {
            // The identities TLS would report on each end of the connection.
            const std::string sender = from == &alpha ? "alpha" : "bravo";
            const std::string receiver = from == &alpha ? "bravo" : "alpha";
            for (const auto& message : from->poll(now)) {
                std::vector<OutgoingMessage> replies;
                to->on_message(sender, message.bytes, now, replies);
                ++messages;
                for (const auto& reply : replies) {
                    EXPECT_EQ(reply.peer, sender);
                    std::vector<OutgoingMessage> none;
                    from->on_message(receiver, reply.bytes, now, none);
                    EXPECT_TRUE(none.empty());
                }
            }
        }
    }
    EXPECT_EQ(*alpha.peer_prefixes("bravo"), bravo.local_prefixes());
    EXPECT_EQ(*bravo.peer_prefixes("alpha"), alpha.local_prefixes());
    EXPECT_TRUE(alpha.quiet("bravo", kT0 + 30 * kH));
    EXPECT_TRUE(bravo.quiet("alpha", kT0 + 30 * kH));
    EXPECT_FALSE(alpha.next_due());
    EXPECT_LT(messages, 20);
}

}  // namespace
}  // namespace mcsec::control::idp::test
