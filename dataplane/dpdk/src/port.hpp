// One DPDK port with its mcsec role (red or black, or the exception TAP of a black port):
// configuration, start, stop. One tx queue per lcore. Rx: one queue per lcore where the device
// hashes flows over queues by IP source and destination (RSS), else one queue polled by one
// lcore. Hashing on the outer addresses keeps each (sender, group) on one lcore: its ESP replay
// window and its red packet order are never shared between lcores.
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
    uint16_t rx_queues = 1;  // 1, or one per lcore with RSS
    // Source of the ICMPv6 errors this port sends (its first configured IPv6 address).
    std::optional<esp::IpAddress> ipv6_address;
    // Source of the IGMP queries this port sends (its first configured IPv4 address).
    std::optional<esp::IpAddress> ipv4_address;
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

// Starts one DPDK port on a device already probed: `tx_queues` tx queues, and as many rx
// queues with RSS on IP addresses if `rss` and the device can, else one (the count is returned
// in `rx_queues`); promiscuous and all-multicast where the device supports them.
bool start_port(uint16_t port_id, const std::string& name, rte_mempool* pool, uint16_t tx_queues,
                bool rss, uint16_t& rx_queues, std::string& error);

}  // namespace mcsec::dataplane
