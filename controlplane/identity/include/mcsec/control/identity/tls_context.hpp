// TLS contexts for the unicast channels between appliances: TLS 1.3 only, both sides present
// their node certificate, and only the deployment CA is trusted (never the system store).
// The client accepts exactly one server, named by its node id; the server accepts any node of
// the deployment and learns which one from tls_peer_node_id() after the handshake.
#pragma once

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/x509_credentials.hpp"

#include <boost/asio/ssl/context.hpp>

#include <optional>

namespace mcsec::control::identity {

// Both throw boost::system::system_error if OpenSSL refuses the (already checked) credentials.
boost::asio::ssl::context make_tls_client_context(const X509Credentials& credentials,
                                                  const NodeId& expected_server);
boost::asio::ssl::context make_tls_server_context(const X509Credentials& credentials);

// The verified peer's node id (its certificate's subject CN) after a successful handshake;
// nullopt if the peer presented no certificate or it did not verify.
std::optional<NodeId> tls_peer_node_id(const SSL& connection);

}  // namespace mcsec::control::identity
