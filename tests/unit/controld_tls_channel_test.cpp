// TlsPeerChannel, the TLS 1.3 channel of the red-prefix exchange: real TCP connections on
// loopback between channels run by one io_context, with a throwaway CA. Checks delivery and
// order, a whole prefix exchange carried by it, refusal of a foreign certificate and of a server
// that is not the expected node, and that a broken frame closes the connection without harm.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "identity_test_pki.hpp"
#include "mcsec/control/identity/load_authenticator.hpp"
#include "mcsec/control/idp/prefix_exchange.hpp"
#include "tls_peer_channel.hpp"

namespace mcsec::control {
namespace {

namespace asio = boost::asio;
using namespace identity::testing;
using namespace std::chrono_literals;

struct Received {
    NodeId peer;
    std::vector<std::uint8_t> bytes;
};

class TlsChannelTest : public ::testing::Test {
  protected:
    std::shared_ptr<const identity::X509Credentials> credentials(TestCa& ca,
                                                                 const std::string& name) {
        const auto ca_path = dir_.path() / ("ca-" + std::to_string(++count_) + ".pem");
        write_certificate(ca_path, *ca.certificate);
        const auto node =
            issue_node(dir_, ca, name, KeyKind::Ed25519, name + std::to_string(count_));
        auto loaded = identity::load_authenticator(
            {config::X509Identity{ca_path, node.certificate, node.key}}, name, Clock::now());
        EXPECT_TRUE(loaded.ok()) << loaded.error;
        return loaded.tls_credentials;
    }

    // Channels of one test listen on one port at different loopback addresses (127.0.0.N), as
    // appliances do on the discovery port of their black addresses: the first gets an
    // ephemeral port, the others take the same.
    std::unique_ptr<TlsPeerChannel> channel(const std::string& name, int host,
                                            std::vector<Received>& inbox) {
        return channel(credentials(ca_, name), host, inbox);
    }
    std::unique_ptr<TlsPeerChannel> channel(std::shared_ptr<const identity::X509Credentials> c,
                                            int host, std::vector<Received>& inbox) {
        auto made = std::make_unique<TlsPeerChannel>(
            io_, std::move(c), "", address(host), port_,
            [&inbox](const NodeId& peer, std::span<const std::uint8_t> bytes) {
                inbox.push_back({peer, {bytes.begin(), bytes.end()}});
            },
            [this, host](const TlsRefusal& refusal) { refusals_[host].push_back(refusal); });
        port_ = made->port();
        return made;
    }
    static config::IpAddress address(int host) {
        return *config::IpAddress::parse("127.0.0." + std::to_string(host));
    }

    // Runs the io_context until `done` or 5 s; false on timeout.
    bool run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(10ms);
            io_.restart();
        }
        return done();
    }

    // A framed IDP prefix message of `length` bytes (a PREFIX_ACK header, padding body).
    static std::vector<std::uint8_t> frame(std::uint16_t length, std::uint8_t fill) {
        std::vector<std::uint8_t> bytes(length, fill);
        bytes[0] = idp::kMagic0;
        bytes[1] = idp::kMagic1;
        bytes[2] = idp::kWireVersion;
        bytes[3] = static_cast<std::uint8_t>(idp::MessageType::PrefixAck);
        bytes[4] = static_cast<std::uint8_t>(length >> 8);
        bytes[5] = static_cast<std::uint8_t>(length);
        return bytes;
    }

    TempDir dir_;
    TestCa ca_ = make_ca(KeyKind::Ed25519);
    int count_ = 0;
    asio::io_context io_;
    std::uint16_t port_ = 0;
    std::map<int, std::vector<TlsRefusal>> refusals_;  // what each host's channel reported
};

TEST_F(TlsChannelTest, DeliversFramedMessagesInOrderWithTheAuthenticatedPeer) {
    std::vector<Received> at_a, at_b;
    auto a = channel("site-a", 1, at_a);
    auto b = channel("site-b", 2, at_b);
    std::vector<std::vector<std::uint8_t>> sent;
    for (std::uint8_t i = 0; i < 5; ++i) {
        sent.push_back(frame(static_cast<std::uint16_t>(8 + 100 * i), i));
        a->send("site-b", address(2), sent.back());
    }
    ASSERT_TRUE(run_until([&] { return at_b.size() == sent.size(); }));
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(at_b[i].peer, "site-a");
        EXPECT_EQ(at_b[i].bytes, sent[i]);
    }
    EXPECT_EQ(a->counters().connects, 1u);
    EXPECT_EQ(a->counters().messages_sent, 5u);
    EXPECT_EQ(b->counters().accepts, 1u);
    EXPECT_TRUE(at_a.empty());
}

TEST_F(TlsChannelTest, CarriesAWholePrefixExchange) {
    std::vector<Received> at_a, at_b;
    auto a = channel("site-a", 1, at_a);
    auto b = channel("site-b", 2, at_b);
    const auto now = idp::Clock::now();
    idp::PrefixExchange ex_a("site-a", 11, 200ms), ex_b("site-b", 22, 200ms);
    ex_a.set_local_prefixes({*config::Prefix::parse("10.1.0.0/24")}, now);
    ex_b.set_local_prefixes({*config::Prefix::parse("fd00:2::/64")}, now);
    ex_a.on_event({idp::IdpEventKind::Join, "site-b", address(2), 22}, now);
    ex_b.on_event({idp::IdpEventKind::Join, "site-a", address(1), 11}, now);
    const std::map<NodeId, std::pair<TlsPeerChannel*, idp::PrefixExchange*>> nodes{
        {"site-a", {a.get(), &ex_a}}, {"site-b", {b.get(), &ex_b}}};
    const auto flush = [&](const NodeId& from, std::vector<idp::OutgoingMessage> out) {
        for (auto& m : out) {
            nodes.at(from).first->send(m.peer, address(m.peer == "site-a" ? 1 : 2), m.bytes);
        }
    };
    flush("site-a", ex_a.poll(now));
    flush("site-b", ex_b.poll(now));
    const auto deliver = [&](const NodeId& at, std::vector<Received>& inbox) {
        for (const auto& r : inbox) {
            std::vector<idp::OutgoingMessage> replies;
            const auto verdict = nodes.at(at).second->on_message(r.peer, r.bytes, now, replies);
            EXPECT_NE(verdict, idp::PrefixVerdict::Malformed);
            EXPECT_NE(verdict, idp::PrefixVerdict::NodeMismatch);
            flush(at, std::move(replies));
        }
        inbox.clear();
    };
    ASSERT_TRUE(run_until([&] {
        deliver("site-a", at_a);
        deliver("site-b", at_b);
        return ex_a.count(idp::PrefixVerdict::Acknowledged) == 1 &&
               ex_b.count(idp::PrefixVerdict::Acknowledged) == 1;
    }));
    ASSERT_NE(ex_a.peer_prefixes("site-b"), nullptr);
    ASSERT_NE(ex_b.peer_prefixes("site-a"), nullptr);
    EXPECT_EQ(ex_a.peer_prefixes("site-b")->at(0).to_string(), "fd00:2::/64");
    EXPECT_EQ(ex_b.peer_prefixes("site-a")->at(0).to_string(), "10.1.0.0/24");
}

TEST_F(TlsChannelTest, ClientFromAnotherCaIsRefused) {
    std::vector<Received> at_a, at_b;
    TestCa other = make_ca(KeyKind::Ed25519, "another CA");
    auto a = channel(credentials(other, "site-a"), 1, at_a);
    auto b = channel("site-b", 2, at_b);
    a->send("site-b", address(2), frame(8, 1));
    ASSERT_TRUE(run_until([&] {
        return a->counters().handshake_failures == 1 && b->counters().handshake_failures == 1;
    }));
    EXPECT_TRUE(at_b.empty());
    EXPECT_EQ(b->counters().accepts, 0u);
    EXPECT_EQ(a->counters().dropped, 1u);
    // Both report a certificate refusal (for SIGN_FAILED alarms) with the other's address: A
    // refused B's certificate (not under A's CA) and said so in an alert, which B reports.
    ASSERT_EQ(refusals_[1].size(), 1u);
    EXPECT_EQ(refusals_[1][0].kind, TlsRefusal::Kind::CertificateRefused);
    EXPECT_EQ(refusals_[1][0].address, "127.0.0.2");
    EXPECT_EQ(refusals_[1][0].peer, "site-b");
    EXPECT_NE(refusals_[1][0].detail.find("its certificate was refused"), std::string::npos)
        << refusals_[1][0].detail;
    ASSERT_EQ(refusals_[2].size(), 1u);
    EXPECT_EQ(refusals_[2][0].kind, TlsRefusal::Kind::CertificateRefused);
    EXPECT_EQ(refusals_[2][0].address, "127.0.0.1");
    EXPECT_TRUE(refusals_[2][0].peer.empty());  // nobody we could authenticate
    EXPECT_NE(refusals_[2][0].detail.find("it refused our certificate"), std::string::npos)
        << refusals_[2][0].detail;
}

TEST_F(TlsChannelTest, AServerThatIsNotTheExpectedNodeIsRefused) {
    std::vector<Received> at_a, at_c;
    auto a = channel("site-a", 1, at_a);
    auto c = channel("site-c", 3, at_c);  // listens where A believes site-b is
    a->send("site-b", address(3), frame(8, 1));
    ASSERT_TRUE(run_until([&] { return a->counters().handshake_failures == 1; }));
    io_.run_for(50ms);
    EXPECT_TRUE(at_c.empty());
    EXPECT_EQ(a->counters().connects, 0u);
    EXPECT_EQ(a->counters().messages_sent, 0u);
    ASSERT_EQ(refusals_[1].size(), 1u);
    EXPECT_EQ(refusals_[1][0].kind, TlsRefusal::Kind::CertificateRefused);
    EXPECT_EQ(refusals_[1][0].address, "127.0.0.3");
    EXPECT_EQ(refusals_[1][0].peer, "site-b");  // the node A dialled
}

TEST_F(TlsChannelTest, ABrokenFrameClosesTheConnectionAndANewOneWorks) {
    std::vector<Received> at_a, at_b;
    auto a = channel("site-a", 1, at_a);
    auto b = channel("site-b", 2, at_b);
    std::vector<std::uint8_t> garbage = frame(8, 1);
    garbage[0] = 'X';  // not the IDP magic
    a->send("site-b", address(2), garbage);
    auto oversized = frame(8, 1);
    oversized[4] = 0xff;  // length 65288: above the 1400-byte limit
    ASSERT_TRUE(run_until([&] { return b->counters().malformed == 1; }));
    EXPECT_TRUE(at_b.empty());
    // B closed the connection; A's reader notices, and the next send dials again.
    ASSERT_TRUE(run_until([&] { return a->counters().connection_errors == 1; }));
    a->send("site-b", address(2), oversized);
    ASSERT_TRUE(run_until([&] { return b->counters().malformed == 2; }));
    a->forget("site-b");
    a->send("site-b", address(2), frame(20, 7));
    ASSERT_TRUE(run_until([&] { return at_b.size() == 1; }));
    EXPECT_EQ(at_b[0].bytes, frame(20, 7));
    EXPECT_EQ(b->counters().accepts, 3u);
    // Both broken frames reported, each with the authenticated sender; nothing else.
    ASSERT_EQ(refusals_[2].size(), 2u);
    for (const auto& refusal : refusals_[2]) {
        EXPECT_EQ(refusal.kind, TlsRefusal::Kind::MalformedFrame);
        EXPECT_EQ(refusal.peer, "site-a");
        EXPECT_EQ(refusal.address, "127.0.0.1");
    }
    EXPECT_TRUE(refusals_[1].empty());
}

TEST_F(TlsChannelTest, BytesThatAreNotTlsAreReportedAsMalformed) {
    std::vector<Received> at_b;
    auto b = channel("site-b", 2, at_b);
    asio::ip::tcp::socket plain(io_);
    plain.connect({asio::ip::make_address("127.0.0.2"), port_});
    const std::string http = "GET / HTTP/1.0\r\n\r\n";
    asio::write(plain, asio::buffer(http));
    ASSERT_TRUE(run_until([&] { return b->counters().handshake_failures == 1; }));
    ASSERT_EQ(refusals_[2].size(), 1u);
    EXPECT_EQ(refusals_[2][0].kind, TlsRefusal::Kind::MalformedFrame);
    EXPECT_EQ(refusals_[2][0].address, "127.0.0.1");  // the kernel picks 127.0.0.1 as source
    EXPECT_TRUE(at_b.empty());
}

TEST_F(TlsChannelTest, ARestartedServerGetsTheNextMessage) {
    // Without the client reading its connection, the first write after the server's restart
    // would "succeed" into the dead connection and be lost.
    std::vector<Received> at_a, at_b;
    auto a = channel("site-a", 1, at_a);
    auto b = channel("site-b", 2, at_b);
    a->send("site-b", address(2), frame(8, 1));
    ASSERT_TRUE(run_until([&] { return at_b.size() == 1; }));
    b.reset();
    std::vector<Received> at_restarted_b;
    auto restarted_b = channel("site-b", 2, at_restarted_b);
    ASSERT_TRUE(run_until([&] { return a->counters().connection_errors == 1; }));
    a->send("site-b", address(2), frame(9, 2));
    ASSERT_TRUE(run_until([&] { return at_restarted_b.size() == 1; }));
    EXPECT_EQ(at_restarted_b[0].bytes, frame(9, 2));
    EXPECT_EQ(a->counters().connects, 2u);
    EXPECT_EQ(a->counters().dropped, 0u);
}

TEST_F(TlsChannelTest, APeersNewConnectionReplacesItsOlderOne) {
    // Two processes holding site-a's identity (a restart whose predecessor's connection is
    // still open): the server keeps only the newest connection, and the old client notices.
    std::vector<Received> at_old_a, at_new_a, at_b;
    auto old_a = channel("site-a", 1, at_old_a);
    auto b = channel("site-b", 2, at_b);
    old_a->send("site-b", address(2), frame(8, 1));
    ASSERT_TRUE(run_until([&] { return at_b.size() == 1; }));
    auto new_a = channel("site-a", 3, at_new_a);
    new_a->send("site-b", address(2), frame(8, 2));
    ASSERT_TRUE(
        run_until([&] { return at_b.size() == 2 && old_a->counters().connection_errors == 1; }));
    EXPECT_EQ(b->counters().accepts, 2u);
    EXPECT_EQ(b->counters().replaced_inbound, 1u);
    EXPECT_EQ(at_b[1].peer, "site-a");
    EXPECT_EQ(at_b[1].bytes, frame(8, 2));
}

}  // namespace
}  // namespace mcsec::control
