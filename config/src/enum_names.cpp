#include "enum_names.hpp"

namespace mcsec::config {

std::string_view to_string(PortRole role) noexcept {
    return name_of(kPortRoleNames, role);
}

std::string_view to_string(DeviceKind kind) noexcept {
    return name_of(kDeviceKindNames, kind);
}

std::string_view to_string(GroupAction action) noexcept {
    return name_of(kGroupActionNames, action);
}

std::string_view to_string(Transform transform) noexcept {
    return name_of(kTransformNames, transform);
}

std::string_view to_string(KeyingMode mode) noexcept {
    return name_of(kKeyingModeNames, mode);
}

std::string_view to_string(MtuPolicy policy) noexcept {
    return name_of(kMtuPolicyNames, policy);
}

std::string_view to_string(ExceptionPath path) noexcept {
    return name_of(kExceptionPathNames, path);
}

}  // namespace mcsec::config
