#include "mcsec/control/identity/tls_context.hpp"

#include "mcsec/control/identity/certificate_checks.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/ssl/verify_mode.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/ssl.h>

namespace mcsec::control::identity {
namespace {

namespace ssl = boost::asio::ssl;

// The algorithms of the deployment's certificates, and nothing weaker for key exchange.
constexpr const char* kSignatureAlgorithms = "ed25519:ecdsa_secp256r1_sha256";
constexpr const char* kGroups = "X25519:P-256";
constexpr const char* kCipherSuites = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256";

void require(bool succeeded, const char* what) {
    if (!succeeded) {
        throw boost::system::system_error(static_cast<int>(ERR_get_error()),
                                          boost::asio::error::get_ssl_category(), what);
    }
}

// What the chain check in OpenSSL does not know about: the leaf must be a node certificate with
// a supported key and, on the client, name the expected server.
bool node_certificate_acceptable(X509_STORE_CTX& store, const NodeId* expected_peer) {
    X509* certificate = X509_STORE_CTX_get_current_cert(&store);
    if (certificate == nullptr || X509_check_ca(certificate) != 0) {
        X509_STORE_CTX_set_error(&store, X509_V_ERR_APPLICATION_VERIFICATION);
        return false;
    }
    const EVP_PKEY* key = X509_get0_pubkey(certificate);
    if (key == nullptr || !is_supported_key(*key)) {
        X509_STORE_CTX_set_error(&store, X509_V_ERR_APPLICATION_VERIFICATION);
        return false;
    }
    const auto common_name = subject_common_name(*certificate);
    if (!common_name || (expected_peer != nullptr && *common_name != *expected_peer)) {
        X509_STORE_CTX_set_error(&store, X509_V_ERR_HOSTNAME_MISMATCH);
        return false;
    }
    return true;
}

ssl::context make_context(ssl::context::method method, const X509Credentials& credentials,
                          std::optional<NodeId> expected_peer) {
    ssl::context context(method);
    SSL_CTX* native = context.native_handle();

    require(SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) == 1, "TLS 1.3 minimum");
    require(SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) == 1, "TLS 1.3 maximum");
    require(SSL_CTX_set_ciphersuites(native, kCipherSuites) == 1, "TLS 1.3 cipher suites");
    require(SSL_CTX_set1_groups_list(native, kGroups) == 1, "key exchange groups");
    require(SSL_CTX_set1_sigalgs_list(native, kSignatureAlgorithms) == 1, "signature algorithms");
    // Every connection runs the full certificate exchange; resumption would skip the check of
    // a certificate that may have expired since.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
    require(SSL_CTX_set_num_tickets(native, 0) == 1, "session tickets off");

    require(SSL_CTX_use_certificate(native, credentials.certificate.get()) == 1,
            "node certificate");
    require(SSL_CTX_use_PrivateKey(native, credentials.private_key.get()) == 1, "private key");
    require(SSL_CTX_check_private_key(native) == 1, "private key matches certificate");

    // The deployment CA only: the context starts with an empty store and we never load the
    // system's default verify paths.
    require(X509_STORE_add_cert(SSL_CTX_get_cert_store(native), credentials.ca.get()) == 1,
            "deployment CA");
    if (method == ssl::context::tls_server) {
        require(SSL_CTX_add_client_CA(native, credentials.ca.get()) == 1, "client CA list");
    }

    context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    context.set_verify_callback(
        [expected = std::move(expected_peer)](bool preverified, ssl::verify_context& verify) {
            if (!preverified) return false;
            X509_STORE_CTX* store = verify.native_handle();
            if (X509_STORE_CTX_get_error_depth(store) > 0) return true;  // the CA itself
            return node_certificate_acceptable(*store, expected ? &*expected : nullptr);
        });
    return context;
}

}  // namespace

ssl::context make_tls_client_context(const X509Credentials& credentials,
                                     const NodeId& expected_server) {
    return make_context(ssl::context::tls_client, credentials, expected_server);
}

ssl::context make_tls_server_context(const X509Credentials& credentials) {
    return make_context(ssl::context::tls_server, credentials, std::nullopt);
}

std::optional<NodeId> tls_peer_node_id(const SSL& connection) {
    if (SSL_get_verify_result(&connection) != X509_V_OK) return std::nullopt;
    const X509* peer = SSL_get0_peer_certificate(&connection);
    if (peer == nullptr) return std::nullopt;
    return subject_common_name(*peer);
}

}  // namespace mcsec::control::identity
