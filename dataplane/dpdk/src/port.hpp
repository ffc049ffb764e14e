// One DPDK port with its mcsec role (red or black, or the exception TAP of a black port):
// configuration, start, stop. One tx queue per lcore. Rx (the port's rx_queues key): "auto" takes
// one queue per lcore where the device hashes flows over queues by IP source and destination
// (RSS), else one queue polled by one lcore; a number N takes N queues, queue q polled by lcore q,
// on devices that spread flows over their queues themselves (net_af_packet qpairs=N, net_tap).
// Honest senders hash to one queue each; a sender's replay window is shared memory that every
// lcore can use safely, so forged or re-sent packets landing on another queue are still handled
// (and counted) there.
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
    uint16_t rx_queues = 1;  // queue q is polled by lcore q when there are several
    std::string rx_spread;   // how the device spreads received flows over them (for the log)
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

// Starts one DPDK port on a device already probed: `tx_queues` tx queues (one per lcore) and
// `rx_wanted` rx queues (nullopt: "auto", see above), with RSS on IP addresses where the device
// offers it; promiscuous and all-multicast where the device supports them. The rx queue count is
// returned in `rx_queues`, how flows spread over them in `rx_spread`. Refuses (false, `error`
// says why and what to set) a device that cannot give the queues asked for, and a net_af_packet
// device with more qpairs than polled rx queues (the kernel would fill the unpolled ones).
bool start_port(uint16_t port_id, const std::string& name, rte_mempool* pool, uint16_t tx_queues,
                std::optional<uint16_t> rx_wanted, uint16_t& rx_queues, std::string& rx_spread,
                std::string& error);

}  // namespace mcsec::dataplane
