// Every DPDK EAL argument mcsec-dataplane passes, built from the config in one place (BESS
// core/dpdk.cc style), without EAL, so it is unit-tested.
#pragma once

#include <string>
#include <vector>

#include "mcsec/config/config.hpp"

namespace mcsec::dataplane {

// argv for rte_eal_init, argv[0] included.
std::vector<std::string> eal_arguments(const config::ApplianceConfig& config);

// The ethdev name DPDK gives the port of `device` ("net_af_packet0,iface=x" -> "net_af_packet0",
// "0000:03:00.0,devargs" -> "0000:03:00.0").
std::string ethdev_name(const std::string& device);

}  // namespace mcsec::dataplane
