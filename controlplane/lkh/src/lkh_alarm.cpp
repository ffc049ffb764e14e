// Alarm names.
#include "mcsec/control/lkh/lkh_alarm.hpp"

namespace mcsec::control::lkh {

std::string_view to_string(LkhAlarm alarm) noexcept {
    switch (alarm) {
        case LkhAlarm::None:
            return "none";
        case LkhAlarm::MalformedPacket:
            return "MALFORMED_PACKET";
        case LkhAlarm::SignFailed:
            return "SIGN_FAILED";
        case LkhAlarm::AccessViolation:
            return "ACCESS_VIOLATION";
        case LkhAlarm::ProtocolViolation:
            return "PROTOCOL_VIOLATION";
        case LkhAlarm::KeysBehind:
            return "KEYS_BEHIND";
    }
    return "unknown";
}

}  // namespace mcsec::control::lkh
