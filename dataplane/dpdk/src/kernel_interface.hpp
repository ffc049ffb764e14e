// Configures the kernel side of an exception TAP: link up, MTU, and the black port's addresses,
// so the appliance's own kernel answers ARP/ND and ping and the control plane's sockets have a
// source address. rtnetlink for the addresses (one request per address, both families).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mcsec/config/ip_address.hpp"

namespace mcsec::dataplane {

// False with `error` naming the interface and the step that failed.
bool configure_kernel_interface(const std::string& ifname,
                                const std::vector<config::Prefix>& addresses, uint16_t mtu,
                                std::string& error);

}  // namespace mcsec::dataplane
