#include "mcsec/control/auth_verdicts.hpp"
#include "mcsec/control/authenticator.hpp"

namespace mcsec::control {

std::string_view to_string(AuthResult result) noexcept {
    switch (result) {
        case AuthResult::Ok:
            return "ok";
#define MCSEC_AUTH_TEXT(X, result, verdict, counter, text, result_text) \
    case AuthResult::result:                                            \
        return result_text;
            MCSEC_AUTH_FAILURES(MCSEC_AUTH_TEXT, _)
#undef MCSEC_AUTH_TEXT
    }
    return "unknown";
}

}  // namespace mcsec::control
