// The lookups of a module's verdict table. Each module lists its verdicts once, as an X-macro of
// X(name, counter, text, alarm) rows; its enum is generated from the list, and so is an array of
// these rows, one per enumerator in the same order, so to_string, counter_name and alarm_for are
// one index lookup each instead of a switch per column in every module.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace mcsec::control {

template <typename Alarm>
struct VerdictRow {
    std::string_view counter;
    std::string_view text;
    Alarm alarm;
};

// The row of `verdict`; {"unknown", "unknown", Alarm{}} for a value outside the table.
template <typename Verdict, typename Alarm, std::size_t N>
constexpr VerdictRow<Alarm> verdict_row(const std::array<VerdictRow<Alarm>, N>& rows,
                                        Verdict verdict) noexcept {
    const auto index = static_cast<std::size_t>(verdict);
    return index < N ? rows[index] : VerdictRow<Alarm>{"unknown", "unknown", Alarm{}};
}

}  // namespace mcsec::control

// One element of `std::array<VerdictRow<Alarm>, N> rows{{LIST(MCSEC_VERDICT_ROW)}}`; the
// alarm column names a constant in scope (the module's alarm enumerators, via `using enum`).
#define MCSEC_VERDICT_ROW(name, counter, text, alarm) {counter, text, alarm},
