// The authentication rows every verdict table shares (auth_verdicts.hpp): the same mapping,
// counter names, texts and alarm in each module, and AuthResult's own texts.
#include <gtest/gtest.h>

#include "mcsec/control/auth_verdicts.hpp"
#include "mcsec/control/idp/hello_verdict.hpp"
#include "mcsec/control/mike/protocol/verdict.hpp"

namespace mcsec::control {
namespace {

static_assert(auth_verdict<mike::MikeVerdict>(AuthResult::Expired) ==
              mike::MikeVerdict::CredentialExpired);
static_assert(auth_verdict<idp::HelloVerdict>(AuthResult::Ok) == idp::HelloVerdict::Accepted);

TEST(AuthVerdicts, EveryModuleGetsTheSameRows) {
    const std::pair<AuthResult, std::string_view> cases[] = {
        {AuthResult::BadSignature, "bad_signature"},
        {AuthResult::UntrustedCredential, "untrusted_credential"},
        {AuthResult::Expired, "credential_expired"},
        {AuthResult::IdentityMismatch, "identity_mismatch"},
        {AuthResult::Malformed, "malformed_credential"},
    };
    for (const auto& [result, counter] : cases) {
        const auto m = auth_verdict<mike::MikeVerdict>(result);
        const auto h = auth_verdict<idp::HelloVerdict>(result);
        EXPECT_EQ(mike::counter_name(m), counter);
        EXPECT_EQ(idp::counter_name(h), counter);
        EXPECT_EQ(mike::to_string(m), idp::to_string(h));
        EXPECT_EQ(mike::alarm_for(m), mike::MikeAlarm::SignFailed);
        EXPECT_EQ(idp::alarm_for(h), idp::IdpAlarm::SignFailed);
    }
    EXPECT_EQ(auth_verdict<mike::MikeVerdict>(AuthResult::Ok), mike::MikeVerdict::Accepted);
}

TEST(AuthVerdicts, AuthResultTextsAreUnchanged) {
    EXPECT_EQ(to_string(AuthResult::Ok), "ok");
    EXPECT_EQ(to_string(AuthResult::BadSignature), "bad signature");
    EXPECT_EQ(to_string(AuthResult::Malformed), "malformed credential or signature");
    EXPECT_EQ(to_string(AuthResult::Expired), "certificate outside its validity period");
}

}  // namespace
}  // namespace mcsec::control
