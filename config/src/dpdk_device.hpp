#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mcsec/config/config.hpp"

namespace mcsec::config {

struct DpdkDevice {
    DeviceKind kind = DeviceKind::Pci;
    // What identifies the device to DPDK, for spotting two ports on one device: the PCI address
    // in full lower-case form ("0000:03:00.0") or the vdev name ("net_af_packet0").
    std::string identity;
};

// Checks a port's device string: a PCI address ("0000:03:00.0" or "03:00.0") or a DPDK net vdev
// ("net_af_packet0"), either optionally followed by ",key=value" device arguments.
std::optional<DpdkDevice> parse_dpdk_device(std::string_view device, std::string& why);

}  // namespace mcsec::config
