// The rows every verdict table shares: what a failed signature check becomes. IDP hellos, MIKE
// and registration datagrams are all checked by a MessageAuthenticator, so each module's table
// refuses them for the same five reasons, with the same counter names, texts and alarm
// (SIGN_FAILED). This is their one definition, and the one AuthResult -> verdict mapping.
#pragma once

#include "mcsec/control/authenticator.hpp"

// R(X, result, verdict, counter, text, result_text): AuthResult::result becomes a module's
// verdict `verdict`, counted as `counter` and shown as `text`; `result_text` is
// to_string(AuthResult::result).
#define MCSEC_AUTH_FAILURES(R, X)                                                                  \
    R(X, BadSignature, BadSignature, "bad_signature", "signature does not verify",                 \
      "bad signature")                                                                             \
    R(X, UntrustedCredential, UntrustedCredential, "untrusted_credential",                         \
      "credential not issued by the deployment CA", "credential not issued by the deployment CA")  \
    R(X, Expired, CredentialExpired, "credential_expired",                                         \
      "certificate outside its validity period", "certificate outside its validity period")        \
    R(X, IdentityMismatch, IdentityMismatch, "identity_mismatch", "credential names another node", \
      "credential names another node")                                                             \
    R(X, Malformed, MalformedCredential, "malformed_credential",                                   \
      "credential or signature does not parse", "malformed credential or signature")

// The rows in a module verdict table's shape, X(name, counter, text, alarm): a table lists
// MCSEC_AUTH_VERDICTS(X) among its own rows (and has an Accepted row).
#define MCSEC_AUTH_VERDICT_ROW(X, result, verdict, counter, text, result_text) \
    X(verdict, counter, text, SignFailed)
#define MCSEC_AUTH_VERDICTS(X) MCSEC_AUTH_FAILURES(MCSEC_AUTH_VERDICT_ROW, X)

namespace mcsec::control {

// The verdict of a module's table for a signature check's result.
template <typename Verdict>
constexpr Verdict auth_verdict(AuthResult result) noexcept {
    switch (result) {
        case AuthResult::Ok:
            return Verdict::Accepted;
#define MCSEC_AUTH_CASE(V, result, verdict, counter, text, result_text) \
    case AuthResult::result:                                            \
        return V::verdict;
            MCSEC_AUTH_FAILURES(MCSEC_AUTH_CASE, Verdict)
#undef MCSEC_AUTH_CASE
    }
    return Verdict::MalformedCredential;
}

}  // namespace mcsec::control
