#include "mcsec/control/idp/hello_verdict.hpp"

#include "mcsec/control/verdict_table.hpp"

namespace mcsec::control::idp {

std::string_view to_string(IdpAlarm alarm) noexcept {
    switch (alarm) {
        case IdpAlarm::None:
            return "none";
        case IdpAlarm::MalformedPacket:
            return "MALFORMED_PACKET";
        case IdpAlarm::SignFailed:
            return "SIGN_FAILED";
    }
    return "unknown";
}

namespace {

// The alarm column names IdpAlarm enumerators.
using enum IdpAlarm;
constexpr std::array<VerdictRow<IdpAlarm>, kHelloVerdictCount> kRows{
    {MCSEC_IDP_HELLO_VERDICTS(MCSEC_VERDICT_ROW)}};

}  // namespace

std::string_view to_string(HelloVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).text;
}

std::string_view counter_name(HelloVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).counter;
}

IdpAlarm alarm_for(HelloVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).alarm;
}

}  // namespace mcsec::control::idp
