#include "dpdk_device.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace mcsec::config {
namespace {

bool is_hex(char c) noexcept {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

bool all_hex(std::string_view text) noexcept {
    return std::all_of(text.begin(), text.end(), is_hex);
}

unsigned hex_value(std::string_view text) noexcept {
    unsigned value = 0;
    for (const char c : text) {
        const auto digit = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
        value = value * 16 + (digit <= '9' ? digit - '0' : digit - 'a' + 10U);
    }
    return value;
}

// [DDDD:]BB:DD.F, the forms rte_pci_addr_parse() accepts; returns the full form.
std::optional<std::string> normalize_pci_address(std::string_view text) {
    std::string_view domain = "0000";
    if (text.size() == 12) {
        if (text[4] != ':') return std::nullopt;
        domain = text.substr(0, 4);
        text.remove_prefix(5);
    }
    if (text.size() != 7 || text[2] != ':' || text[5] != '.') return std::nullopt;
    const auto bus = text.substr(0, 2);
    const auto device = text.substr(3, 2);
    const auto function = text.substr(6, 1);
    if (!all_hex(domain) || !all_hex(bus) || !all_hex(device) || !all_hex(function))
        return std::nullopt;
    // PCI has 32 devices per bus and 8 functions per device.
    if (hex_value(device) > 0x1F || hex_value(function) > 7) return std::nullopt;

    char normalized[16];
    std::snprintf(normalized, sizeof normalized, "%04x:%02x:%02x.%x", hex_value(domain),
                  hex_value(bus), hex_value(device), hex_value(function));
    return std::string(normalized);
}

// net_<driver><instance>: the prefix every DPDK ethdev vdev driver registers under.
bool is_net_vdev_name(std::string_view name) noexcept {
    constexpr std::string_view kPrefix = "net_";
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) != 0 ||
               std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
}

// key=value pairs (or bare flags) separated by commas; values may hold paths and addresses.
bool valid_device_arguments(std::string_view arguments) noexcept {
    while (true) {
        const auto comma = arguments.find(',');
        const auto argument = arguments.substr(0, comma);
        const auto equals = argument.find('=');
        const auto key = argument.substr(0, equals);
        if (key.empty()) return false;
        const bool key_ok = std::all_of(key.begin(), key.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
        });
        if (!key_ok) return false;
        if (equals != std::string_view::npos && equals + 1 == argument.size()) return false;
        if (comma == std::string_view::npos) return true;
        arguments.remove_prefix(comma + 1);
    }
}

}  // namespace

std::optional<DpdkDevice> parse_dpdk_device(std::string_view device, std::string& why) {
    const auto has_space = std::any_of(device.begin(), device.end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) != 0;
    });
    if (has_space) {
        why = "must not contain spaces";
        return std::nullopt;
    }
    const auto comma = device.find(',');
    const auto name = device.substr(0, comma);
    if (comma != std::string_view::npos && !valid_device_arguments(device.substr(comma + 1))) {
        why = "device arguments after the name must be comma-separated key=value pairs";
        return std::nullopt;
    }
    if (auto pci = normalize_pci_address(name)) {
        return DpdkDevice{.kind = DeviceKind::Pci, .identity = std::move(*pci)};
    }
    if (is_net_vdev_name(name)) {
        return DpdkDevice{.kind = DeviceKind::Vdev, .identity = std::string(name)};
    }
    why =
        "is neither a PCI address (like 0000:03:00.0) nor a DPDK net vdev (like "
        "net_af_packet0,iface=eth1)";
    return std::nullopt;
}

}  // namespace mcsec::config
