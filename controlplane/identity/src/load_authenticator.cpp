#include "mcsec/control/identity/load_authenticator.hpp"

#include "mcsec/control/identity/failure_caching_authenticator.hpp"
#include "mcsec/control/identity/psk_authenticator.hpp"
#include "mcsec/control/identity/x509_authenticator.hpp"

#include <type_traits>
#include <variant>

namespace mcsec::control::identity {

LoadedAuthenticator load_authenticator(const config::Identity& identity, const NodeId& node_id,
                                       std::chrono::system_clock::time_point now) {
    return std::visit(
        [&](const auto& style) {
            LoadedAuthenticator result;
            using Style = std::decay_t<decltype(style)>;
            if constexpr (std::is_same_v<Style, config::X509Identity>) {
                X509CredentialsLoad loaded = load_x509_credentials(style, node_id, now);
                if (!loaded.credentials) {
                    result.error = std::move(loaded.error);
                    return result;
                }
                result.authenticator = std::make_unique<X509Authenticator>(loaded.credentials);
                result.tls_credentials = std::move(loaded.credentials);
            } else {
                PskKeyLoad loaded = load_psk_file(style.psk_file);
                if (!loaded.error.empty()) {
                    result.error = std::move(loaded.error);
                    return result;
                }
                result.authenticator =
                    std::make_unique<PskAuthenticator>(node_id, std::move(loaded.key));
            }
            // Forged datagrams replayed over and over cost a hash each, not a verification.
            result.authenticator =
                std::make_unique<FailureCachingAuthenticator>(std::move(result.authenticator));
            return result;
        },
        identity.credentials);
}

}  // namespace mcsec::control::identity
