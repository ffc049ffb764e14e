#pragma once

// The one table per enum that maps TOML spellings to values; the loader and to_string() share it.

#include <array>
#include <string>
#include <string_view>

#include "mcsec/config/config.hpp"

namespace mcsec::config {

template <typename Enum>
struct EnumName {
    std::string_view name;
    Enum value;
};

inline constexpr std::array<EnumName<PortRole>, 2> kPortRoleNames{{
    {"red", PortRole::Red},
    {"black", PortRole::Black},
}};

inline constexpr std::array<EnumName<DeviceKind>, 2> kDeviceKindNames{{
    {"pci", DeviceKind::Pci},
    {"vdev", DeviceKind::Vdev},
}};

inline constexpr std::array<EnumName<GroupAction>, 3> kGroupActionNames{{
    {"protect", GroupAction::Protect},
    {"bypass", GroupAction::Bypass},
    {"discard", GroupAction::Discard},
}};

inline constexpr std::array<EnumName<Transform>, 2> kTransformNames{{
    {"aes-gcm-128", Transform::AesGcm128},
    {"aes-gcm-256", Transform::AesGcm256},
}};

inline constexpr std::array<EnumName<KeyingMode>, 3> kKeyingModeNames{{
    {"manual", KeyingMode::Manual},
    {"mike", KeyingMode::Mike},
    {"lkh", KeyingMode::Lkh},
}};

inline constexpr std::array<EnumName<MtuPolicy>, 2> kMtuPolicyNames{{
    {"icmp", MtuPolicy::Icmp},
    {"fragment", MtuPolicy::Fragment},
}};

inline constexpr std::array<EnumName<ExceptionPath>, 2> kExceptionPathNames{{
    {"tap", ExceptionPath::Tap},
    {"none", ExceptionPath::None},
}};

template <typename Enum, std::size_t N>
constexpr std::string_view name_of(const std::array<EnumName<Enum>, N>& names,
                                   Enum value) noexcept {
    for (const auto& entry : names) {
        if (entry.value == value) return entry.name;
    }
    return "?";
}

// "red or black", "protect, bypass or discard": for error messages.
template <typename Enum, std::size_t N>
std::string describe_choices(const std::array<EnumName<Enum>, N>& names) {
    std::string text;
    for (std::size_t index = 0; index < N; ++index) {
        if (index > 0) text += index + 1 == N ? " or " : ", ";
        text += names[index].name;
    }
    return text;
}

}  // namespace mcsec::config
