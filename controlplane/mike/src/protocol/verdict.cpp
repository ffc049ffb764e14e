// The texts, counter names and alarms of the verdict table.
#include "mcsec/control/mike/protocol/verdict.hpp"

#include "mcsec/control/verdict_table.hpp"

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

namespace {

// The alarm column names MikeAlarm enumerators.
using enum MikeAlarm;
constexpr std::array<VerdictRow<MikeAlarm>, kMikeVerdictCount> kRows{
    {MCSEC_MIKE_VERDICTS(MCSEC_VERDICT_ROW)}};

}  // namespace

std::string_view to_string(MikeVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).text;
}

std::string_view counter_name(MikeVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).counter;
}

MikeAlarm alarm_for(MikeVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).alarm;
}

}  // namespace mcsec::control::mike
