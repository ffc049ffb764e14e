#include "mcsec/control/idp/prefix_exchange.hpp"

namespace mcsec::control::idp {

std::string_view to_string(PrefixVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_IDP_CASE(name, counter, text, alarm) \
    case PrefixVerdict::name:                      \
        return text;
        MCSEC_IDP_PREFIX_VERDICTS(MCSEC_IDP_CASE)
#undef MCSEC_IDP_CASE
    }
    return "unknown";
}

std::string_view counter_name(PrefixVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_IDP_CASE(name, counter, text, alarm) \
    case PrefixVerdict::name:                      \
        return counter;
        MCSEC_IDP_PREFIX_VERDICTS(MCSEC_IDP_CASE)
#undef MCSEC_IDP_CASE
    }
    return "unknown";
}

IdpAlarm alarm_for(PrefixVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_IDP_CASE(name, counter, text, alarm) \
    case PrefixVerdict::name:                      \
        return IdpAlarm::alarm;
        MCSEC_IDP_PREFIX_VERDICTS(MCSEC_IDP_CASE)
#undef MCSEC_IDP_CASE
    }
    return IdpAlarm::None;
}

}  // namespace mcsec::control::idp
