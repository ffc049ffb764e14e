#include "mcsec/control/registration/alarm_log.hpp"

#include <stdexcept>
#include <utility>

namespace mcsec::control::registration {

std::string_view to_string(AlarmOrigin origin) noexcept {
    switch (origin) {
        case AlarmOrigin::Local:
            return "local";
        case AlarmOrigin::Received:
            return "received";
    }
    return "unknown";
}

AlarmLog::AlarmLog(std::size_t capacity) : capacity_(capacity) {
    if (capacity_ == 0) throw std::invalid_argument("registration: alarm log capacity 0");
}

void AlarmLog::raise(AlarmRecord record) {
    // Wire codes are 1..4.
    ++totals_[static_cast<std::size_t>(record.kind) - 1];
    if (recent_.size() == capacity_) recent_.pop_front();
    recent_.push_back(std::move(record));
}

std::uint64_t AlarmLog::total(AlarmKind kind) const noexcept {
    return totals_[static_cast<std::size_t>(kind) - 1];
}

}  // namespace mcsec::control::registration
