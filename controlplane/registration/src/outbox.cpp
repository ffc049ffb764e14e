#include "mcsec/control/registration/outbox.hpp"

namespace mcsec::control::registration {

std::string_view to_string(EventKind kind) noexcept {
    switch (kind) {
        case EventKind::Registered:
            return "registered";
        case EventKind::Refreshed:
            return "refreshed";
        case EventKind::RegistrationFailed:
            return "registration_failed";
        case EventKind::Lapsed:
            return "lapsed";
        case EventKind::Left:
            return "left";
        case EventKind::LeaveUnconfirmed:
            return "leave_unconfirmed";
        case EventKind::MemberJoined:
            return "member_joined";
        case EventKind::MemberRefreshed:
            return "member_refreshed";
        case EventKind::MemberLeft:
            return "member_left";
        case EventKind::MemberExpired:
            return "member_expired";
        case EventKind::SpiConflictReported:
            return "spi_conflict_reported";
        case EventKind::RekeyOverdue:
            return "rekey_overdue";
    }
    return "unknown";
}

}  // namespace mcsec::control::registration
