// TLS 1.3 contexts: real handshakes between two in-process endpoints over a socketpair, driven
// by one io_context with a time bound (no threads, no network).
#include "identity_test_pki.hpp"

#include "mcsec/control/identity/load_authenticator.hpp"
#include "mcsec/control/identity/tls_context.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <optional>

namespace mcsec::control::identity::testing {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using Stream = ssl::stream<asio::local::stream_protocol::socket>;

struct HandshakeOutcome {
    std::optional<boost::system::error_code> client;
    std::optional<boost::system::error_code> server;
    std::optional<NodeId> client_seen_by_server;
    std::optional<NodeId> server_seen_by_client;
    int version = 0;
    // Why each side refused the other's certificate (X509_V_OK if it did not).
    long client_verify_result = X509_V_OK;
    long server_verify_result = X509_V_OK;
};

// The chain does not end at the deployment CA: the other CA was sent along (self-signed in
// chain) or not (no local issuer).
bool is_untrusted_chain(long verify_result) {
    return verify_result == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
           verify_result == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
}

std::string message_of(const std::optional<boost::system::error_code>& error) {
    return error ? error->message() : "(handshake did not finish)";
}

HandshakeOutcome handshake(ssl::context& client_context, ssl::context& server_context) {
    asio::io_context io;
    Stream client(io, client_context);
    Stream server(io, server_context);
    asio::local::connect_pair(client.next_layer(), server.next_layer());

    HandshakeOutcome outcome;
    // A failed side closes its socket, so the other side never waits for bytes that won't come.
    client.async_handshake(ssl::stream_base::client, [&](const boost::system::error_code& error) {
        outcome.client = error;
        if (error) {
            client.next_layer().close();
        } else {
            outcome.server_seen_by_client = tls_peer_node_id(*client.native_handle());
            outcome.version = SSL_version(client.native_handle());
        }
    });
    server.async_handshake(ssl::stream_base::server, [&](const boost::system::error_code& error) {
        outcome.server = error;
        if (error) {
            server.next_layer().close();
        } else {
            outcome.client_seen_by_server = tls_peer_node_id(*server.native_handle());
        }
    });
    io.run_for(std::chrono::seconds(10));
    outcome.client_verify_result = SSL_get_verify_result(client.native_handle());
    outcome.server_verify_result = SSL_get_verify_result(server.native_handle());
    return outcome;
}

class TlsContextTest : public ::testing::Test {
  protected:
    std::shared_ptr<const X509Credentials> credentials(TestCa& ca, const std::string& name,
                                                       KeyKind kind = KeyKind::Ed25519) {
        const auto ca_path = dir_.path() / ("ca-" + name + ".pem");
        write_certificate(ca_path, *ca.certificate);
        const auto node = issue_node(dir_, ca, name, kind, name + std::to_string(++count_));
        auto loaded = load_authenticator(
            {config::X509Identity{ca_path, node.certificate, node.key}}, name, Clock::now());
        EXPECT_TRUE(loaded.ok()) << loaded.error;
        return loaded.tls_credentials;
    }

    TempDir dir_;
    TestCa ca_ = make_ca(KeyKind::Ed25519);
    int count_ = 0;
};

TEST_F(TlsContextTest, MutualAuthenticationUnderDeploymentCa) {
    const auto site1 = credentials(ca_, "site1");
    const auto site2 = credentials(ca_, "site2", KeyKind::P256);
    auto client_context = make_tls_client_context(*site2, "site1");
    auto server_context = make_tls_server_context(*site1);
    const auto outcome = handshake(client_context, server_context);
    ASSERT_TRUE(outcome.client && outcome.server);
    EXPECT_FALSE(*outcome.client) << outcome.client->message();
    EXPECT_FALSE(*outcome.server) << outcome.server->message();
    EXPECT_EQ(outcome.server_seen_by_client, "site1");
    EXPECT_EQ(outcome.client_seen_by_server, "site2");
    EXPECT_EQ(outcome.version, TLS1_3_VERSION);
}

TEST_F(TlsContextTest, ServerFromAnotherCaIsRefused) {
    TestCa other = make_ca(KeyKind::Ed25519, "another CA");
    const auto impostor = credentials(other, "site1");
    const auto site2 = credentials(ca_, "site2");
    auto client_context = make_tls_client_context(*site2, "site1");
    auto server_context = make_tls_server_context(*impostor);
    const auto outcome = handshake(client_context, server_context);
    EXPECT_TRUE(contains(message_of(outcome.client), "certificate verify failed"));
    EXPECT_TRUE(is_untrusted_chain(outcome.client_verify_result)) << outcome.client_verify_result;
    EXPECT_TRUE(contains(message_of(outcome.server), "unknown ca"));
}

TEST_F(TlsContextTest, ClientFromAnotherCaIsRefused) {
    const auto site1 = credentials(ca_, "site1");
    // Trusts our CA (so it accepts the server) but presents a certificate from another CA.
    TestCa other = make_ca(KeyKind::Ed25519, "another CA");
    const auto foreign = credentials(other, "site2");
    X509Credentials impostor;
    impostor.node_id = "site2";
    impostor.ca = X509Ptr(X509_dup(ca_.certificate.get()));
    impostor.certificate = X509Ptr(X509_dup(foreign->certificate.get()));
    ASSERT_EQ(EVP_PKEY_up_ref(foreign->private_key.get()), 1);
    impostor.private_key = EvpPkeyPtr(foreign->private_key.get());

    auto client_context = make_tls_client_context(impostor, "site1");
    auto server_context = make_tls_server_context(*site1);
    const auto outcome = handshake(client_context, server_context);
    EXPECT_TRUE(contains(message_of(outcome.server), "certificate verify failed"));
    EXPECT_TRUE(is_untrusted_chain(outcome.server_verify_result)) << outcome.server_verify_result;
    EXPECT_FALSE(outcome.client_seen_by_server.has_value());
}

TEST_F(TlsContextTest, ServerWithAnotherNodeNameIsRefused) {
    const auto site3 = credentials(ca_, "site3");
    const auto site2 = credentials(ca_, "site2");
    auto client_context = make_tls_client_context(*site2, "site1");
    auto server_context = make_tls_server_context(*site3);
    const auto outcome = handshake(client_context, server_context);
    EXPECT_TRUE(contains(message_of(outcome.client), "certificate verify failed"));
    EXPECT_EQ(outcome.client_verify_result, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(TlsContextTest, Tls12ClientIsRefused) {
    const auto site1 = credentials(ca_, "site1");
    const auto site2 = credentials(ca_, "site2");
    auto client_context = make_tls_client_context(*site2, "site1");
    ASSERT_EQ(SSL_CTX_set_min_proto_version(client_context.native_handle(), TLS1_2_VERSION), 1);
    ASSERT_EQ(SSL_CTX_set_max_proto_version(client_context.native_handle(), TLS1_2_VERSION), 1);
    auto server_context = make_tls_server_context(*site1);
    const auto outcome = handshake(client_context, server_context);
    EXPECT_TRUE(contains(message_of(outcome.server), "unsupported protocol"));
    EXPECT_TRUE(outcome.client.has_value() && *outcome.client);
}

}  // namespace
}  // namespace mcsec::control::identity::testing
