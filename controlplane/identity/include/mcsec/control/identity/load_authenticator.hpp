// mcsec-controld's entry point to the identity module: turns the [identity] table into the
// authenticator every signed control message goes through. Any problem stops startup with a
// message naming the file and what is wrong with it.
#pragma once

#include "mcsec/config/config.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/x509_credentials.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace mcsec::control::identity {

struct LoadedAuthenticator {
    std::unique_ptr<MessageAuthenticator> authenticator;  // null on error
    // The same X.509 credentials, for make_tls_*_context(); null with a PSK (no TLS channel).
    std::shared_ptr<const X509Credentials> tls_credentials;
    std::string error;  // empty on success

    bool ok() const noexcept { return authenticator != nullptr; }
};

// `node_id` is the config's instance.name; `now` is the time certificates must be valid at.
LoadedAuthenticator load_authenticator(const config::Identity& identity, const NodeId& node_id,
                                       std::chrono::system_clock::time_point now);

}  // namespace mcsec::control::identity
