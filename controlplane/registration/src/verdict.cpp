#include "mcsec/control/registration/verdict.hpp"

namespace mcsec::control::registration {

namespace {

// The table's alarm column: None is "counted only".
constexpr std::optional<AlarmKind> kNone = std::nullopt;
constexpr std::optional<AlarmKind> kMalformedPacket = AlarmKind::MalformedPacket;
constexpr std::optional<AlarmKind> kSignFailed = AlarmKind::SignFailed;
constexpr std::optional<AlarmKind> kServerConflict = AlarmKind::ServerConflict;

}  // namespace

std::string_view to_string(Verdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_REGISTRATION_CASE(name, counter, text, alarm) \
    case Verdict::name:                                     \
        return text;
        MCSEC_REGISTRATION_VERDICTS(MCSEC_REGISTRATION_CASE)
#undef MCSEC_REGISTRATION_CASE
    }
    return "unknown";
}

std::string_view counter_name(Verdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_REGISTRATION_CASE(name, counter, text, alarm) \
    case Verdict::name:                                     \
        return counter;
        MCSEC_REGISTRATION_VERDICTS(MCSEC_REGISTRATION_CASE)
#undef MCSEC_REGISTRATION_CASE
    }
    return "unknown";
}

std::optional<AlarmKind> alarm_for(Verdict verdict) noexcept {
    switch (verdict) {
#define MCSEC_REGISTRATION_CASE(name, counter, text, alarm) \
    case Verdict::name:                                     \
        return k##alarm;
        MCSEC_REGISTRATION_VERDICTS(MCSEC_REGISTRATION_CASE)
#undef MCSEC_REGISTRATION_CASE
    }
    return std::nullopt;
}

Verdict verdict_for(AuthResult result) noexcept {
    return auth_verdict<Verdict>(result);
}

}  // namespace mcsec::control::registration
