#include "mcsec/control/idp/prefix_exchange.hpp"

#include "mcsec/control/verdict_table.hpp"

namespace mcsec::control::idp {

namespace {

// The alarm column names IdpAlarm enumerators.
using enum IdpAlarm;
constexpr std::array<VerdictRow<IdpAlarm>, kPrefixVerdictCount> kRows{
    {MCSEC_IDP_PREFIX_VERDICTS(MCSEC_VERDICT_ROW)}};

}  // namespace

std::string_view to_string(PrefixVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).text;
}

std::string_view counter_name(PrefixVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).counter;
}

IdpAlarm alarm_for(PrefixVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).alarm;
}

}  // namespace mcsec::control::idp
