#include "mcsec/control/wire/node_id.hpp"

namespace mcsec::control::wire {

bool is_valid_node_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > kMaxNodeIdBytes) return false;
    for (const char c : id) {
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!allowed) return false;
    }
    return true;
}

}  // namespace mcsec::control::wire
