// This appliance's X.509 identity, loaded once at startup and checked as a whole: the CA file
// is a CA with a supported key, the node certificate chains to it and is valid now, its key is
// Ed25519 or ECDSA P-256 and matches the private key file, and its subject CN is the instance
// name. Shared (read-only) by the message authenticator and the TLS context factory.
#pragma once

#include "mcsec/config/config.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/openssl_handles.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mcsec::control::identity {

struct X509Credentials {
    NodeId node_id;
    X509Ptr ca;
    X509Ptr certificate;
    EvpPkeyPtr private_key;
    std::vector<std::uint8_t> certificate_der;
    // Holds only `ca`.
    X509StorePtr trust;
};

struct X509CredentialsLoad {
    std::shared_ptr<const X509Credentials> credentials;  // null on error
    std::string error;  // names the file and the problem; empty on success
};

X509CredentialsLoad load_x509_credentials(const config::X509Identity& files, const NodeId& node_id,
                                          std::chrono::system_clock::time_point now);

}  // namespace mcsec::control::identity
