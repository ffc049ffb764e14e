#include "mcsec/control/authenticator.hpp"

namespace mcsec::control {

std::string_view to_string(AuthResult result) noexcept {
    switch (result) {
        case AuthResult::Ok:
            return "ok";
        case AuthResult::BadSignature:
            return "bad signature";
        case AuthResult::UntrustedCredential:
            return "credential not issued by the deployment CA";
        case AuthResult::Expired:
            return "certificate outside its validity period";
        case AuthResult::IdentityMismatch:
            return "credential names another node";
        case AuthResult::Malformed:
            return "malformed credential or signature";
    }
    return "unknown";
}

}  // namespace mcsec::control
