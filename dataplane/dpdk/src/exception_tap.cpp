#include "exception_tap.hpp"

#include <rte_dev.h>
#include <rte_ethdev.h>

#include <algorithm>

#include "kernel_interface.hpp"

namespace mcsec::dataplane {

bool open_exception_taps(const config::ApplianceConfig& config, rte_mempool* pool,
                         uint16_t tx_queues, std::vector<Port>& ports, std::string& error) {
    const size_t configured = ports.size();
    ports.reserve(configured * 2);  // Port references below stay valid
    for (size_t i = 0; i < configured; ++i) {
        if (ports[i].role != config::PortRole::Black) continue;
        const auto cfg = std::find_if(config.ports.begin(), config.ports.end(),
                                      [&](const auto& c) { return c.name == ports[i].name; });
        Port tap;
        tap.name = ports[i].name;  // the kernel interface's name too (config checks <= 15)
        tap.role = config::PortRole::Black;
        tap.mtu = ports[i].mtu;
        tap.is_tap = true;
        tap.black_port_id = ports[i].port_id;
        const std::string device = "net_tap_" + tap.name;
        const std::string devargs = device + ",iface=" + tap.name;
        if (rte_dev_probe(devargs.c_str()) != 0 ||
            rte_eth_dev_get_port_by_name(device.c_str(), &tap.port_id) != 0) {
            error = "port " + tap.name + ": cannot create the exception TAP '" + devargs +
                    "' (is the interface name taken, or /dev/net/tun missing? "
                    "dataplane.exception_path = \"none\" runs without it)";
            return false;
        }
        // As many rx queues as tx queues (net_tap refuses anything else); the kernel's own
        // traffic is little, and one lcore, the black port's, polls them all.
        if (!start_port(tap.port_id, tap.name + " (exception TAP)", pool, tx_queues, tx_queues,
                        tap.rx_queues, tap.rx_spread, error)) {
            return false;
        }
        // The TAP keeps a MAC of its own: with an af_packet or af_xdp black port the kernel
        // still sees the frames on the underlying interface, and a frame to a MAC that is not
        // that interface's is dropped by its IP stack (PACKET_OTHERHOST) instead of being
        // answered twice. A NIC is told to accept the TAP's MAC too (it is promiscuous anyway
        // where it can be).
        rte_ether_addr mac{};
        rte_eth_macaddr_get(tap.port_id, &mac);
        std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), tap.mac.begin());
        rte_eth_dev_mac_addr_add(ports[i].port_id, &mac, 0);
        if (!configure_kernel_interface(tap.name, cfg->addresses, tap.mtu, error)) return false;
        ports[i].has_tap = true;
        ports[i].tap_port_id = tap.port_id;
        ports.push_back(tap);
    }
    return true;
}

}  // namespace mcsec::dataplane
