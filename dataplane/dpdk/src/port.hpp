// One DPDK port with its mcsec role (red or black, or the exception TAP of a black port):
// configuration, start, stop. One rx queue (polled by the lcore that owns the port) and one tx
// queue per lcore.
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <optional>
#include <string>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/dataplane/ethernet.hpp"

namespace mcsec::dataplane {

struct Port {
    std::string name;  // from the config
    config::PortRole role = config::PortRole::Red;
    uint16_t port_id = 0;
    MacAddress mac{};
    uint16_t mtu = 1500;
    uint32_t red_index = 0;  // red ports: 0, 1, ... (bit in the membership table)
    // Source of the ICMPv6 errors this port sends (its first configured IPv6 address).
    std::optional<esp::IpAddress> ipv6_address;
    // The exception path: a black port's TAP (tap_port_id), and on the TAP itself, the black
    // port its kernel traffic leaves by (black_port_id).
    bool has_tap = false;
    uint16_t tap_port_id = 0;
    bool is_tap = false;
    uint16_t black_port_id = 0;
};

// Opens every configured port (they were probed by rte_eal_init) and starts it. On failure
// returns false with `error` naming the port and the reason.
bool open_ports(const config::ApplianceConfig& config, rte_mempool* pool, uint16_t tx_queues,
                std::vector<Port>& ports, std::string& error);
void close_ports(std::vector<Port>& ports);

// Starts one DPDK port on a device already probed: 1 rx queue, `tx_queues` tx queues,
// promiscuous and all-multicast where the device supports them.
bool start_port(uint16_t port_id, const std::string& name, rte_mempool* pool, uint16_t tx_queues,
                std::string& error);

}  // namespace mcsec::dataplane
