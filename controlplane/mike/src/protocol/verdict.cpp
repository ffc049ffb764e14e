// The texts, counter names and alarms of the verdict table.
#include "mcsec/control/mike/protocol/verdict.hpp"

namespace mcsec::control::mike {

std::string_view to_string(MikeAlarm alarm) noexcept {
    switch (alarm) {
        case MikeAlarm::None:
            return "none";
        case MikeAlarm::MalformedPacket:
            return "MALFORMED_PACKET";
        case MikeAlarm::SignFailed:
            return "SIGN_FAILED";
        case MikeAlarm::AccessViolation:
            return "ACCESS_VIOLATION";
        case MikeAlarm::ProtocolViolation:
            return "PROTOCOL_VIOLATION";
    }
    return "unknown";
}

std::string_view to_string(MikeVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_MIKE_CASE(name, counter, text, alarm) \
    case MikeVerdict::name:                         \
        return text;
        MCSEC_MIKE_VERDICTS(MCSEC_MIKE_CASE)
#undef MCSEC_MIKE_CASE
    }
    return "unknown";
}

std::string_view counter_name(MikeVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_MIKE_CASE(name, counter, text, alarm) \
    case MikeVerdict::name:                         \
        return counter;
        MCSEC_MIKE_VERDICTS(MCSEC_MIKE_CASE)
#undef MCSEC_MIKE_CASE
    }
    return "unknown";
}

MikeAlarm alarm_for(MikeVerdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_MIKE_CASE(name, counter, text, alarm) \
    case MikeVerdict::name:                         \
        return MikeAlarm::alarm;
        MCSEC_MIKE_VERDICTS(MCSEC_MIKE_CASE)
#undef MCSEC_MIKE_CASE
    }
    return MikeAlarm::None;
}

}  // namespace mcsec::control::mike
