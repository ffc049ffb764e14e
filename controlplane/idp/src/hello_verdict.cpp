#include "mcsec/control/idp/hello_verdict.hpp"

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

std::string_view to_string(HelloVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_IDP_CASE(name, counter, text, alarm) \
    case HelloVerdict::name:                       \
        return text;
        MCSEC_IDP_HELLO_VERDICTS(MCSEC_IDP_CASE)
#undef MCSEC_IDP_CASE
    }
    return "unknown";
}

std::string_view counter_name(HelloVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_IDP_CASE(name, counter, text, alarm) \
    case HelloVerdict::name:                       \
        return counter;
        MCSEC_IDP_HELLO_VERDICTS(MCSEC_IDP_CASE)
#undef MCSEC_IDP_CASE
    }
    return "unknown";
}

IdpAlarm alarm_for(HelloVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_IDP_CASE(name, counter, text, alarm) \
    case HelloVerdict::name:                       \
        return IdpAlarm::alarm;
        MCSEC_IDP_HELLO_VERDICTS(MCSEC_IDP_CASE)
#undef MCSEC_IDP_CASE
    }
    return IdpAlarm::None;
}

}  // namespace mcsec::control::idp
