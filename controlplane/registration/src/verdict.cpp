#include "mcsec/control/registration/verdict.hpp"

#include "mcsec/control/verdict_table.hpp"

namespace mcsec::control::registration {

namespace {

// The table's alarm column: None is "counted only".
constexpr std::optional<AlarmKind> None = std::nullopt;
constexpr std::optional<AlarmKind> MalformedPacket = AlarmKind::MalformedPacket;
constexpr std::optional<AlarmKind> SignFailed = AlarmKind::SignFailed;
constexpr std::optional<AlarmKind> ServerConflict = AlarmKind::ServerConflict;

constexpr std::array<VerdictRow<std::optional<AlarmKind>>, kVerdictCount> kRows{
    {MCSEC_REGISTRATION_VERDICTS(MCSEC_VERDICT_ROW)}};

}  // namespace

std::string_view to_string(Verdict verdict) noexcept {
    return verdict_row(kRows, verdict).text;
}

std::string_view counter_name(Verdict verdict) noexcept {
    return verdict_row(kRows, verdict).counter;
}

std::optional<AlarmKind> alarm_for(Verdict verdict) noexcept {
    return verdict_row(kRows, verdict).alarm;
}

Verdict verdict_for(AuthResult result) noexcept {
    return auth_verdict<Verdict>(result);
}

}  // namespace mcsec::control::registration
