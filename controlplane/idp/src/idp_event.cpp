#include "mcsec/control/idp/idp_event.hpp"

namespace mcsec::control::idp {

std::string_view to_string(IdpEventKind kind) noexcept {
    switch (kind) {
        case IdpEventKind::Join:
            return "JOIN";
        case IdpEventKind::Leave:
            return "LEAVE";
        case IdpEventKind::Restore:
            return "RESTORE";
    }
    return "unknown";
}

}  // namespace mcsec::control::idp
