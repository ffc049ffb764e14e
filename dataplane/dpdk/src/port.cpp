#include "port.hpp"

#include <algorithm>

#include "mcsec/dataplane/eal_args.hpp"
#include "mcsec/dataplane/manual_keying.hpp"

namespace mcsec::dataplane {

namespace {
constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;
}  // namespace

bool start_port(uint16_t port_id, const std::string& name, rte_mempool* pool, uint16_t tx_queues,
                bool rss, uint16_t& rx_queues, std::string& error) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port_id, &info) != 0) {
        error = "port " + name + ": cannot read device info";
        return false;
    }
    if (info.max_tx_queues < tx_queues) {
        error = "port " + name + ": needs " + std::to_string(tx_queues) +
                " tx queues (one per lcore), device has " + std::to_string(info.max_tx_queues);
        return false;
    }
    rte_eth_conf conf{};
    // Offloads only where the device offers them: the ESP code computes what it needs.
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    }
    // RSS over the lcores only on the outer (or red) IP addresses, never on L4 ports: ESP has
    // none, and a red flow hashed by ports could be split from its group's other packets.
    const uint64_t ip_hash = info.flow_type_rss_offloads & RTE_ETH_RSS_IP;
    rx_queues = 1;
    if (rss && tx_queues > 1 && ip_hash != 0 && info.max_rx_queues >= tx_queues) {
        rx_queues = tx_queues;
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = ip_hash;
    }
    int rc = rte_eth_dev_configure(port_id, rx_queues, tx_queues, &conf);
    for (uint16_t q = 0; rc == 0 && q < rx_queues; ++q) {
        rc = rte_eth_rx_queue_setup(port_id, q, kRxDescriptors, rte_eth_dev_socket_id(port_id),
                                    nullptr, pool);
    }
    for (uint16_t q = 0; rc == 0 && q < tx_queues; ++q) {
        rc = rte_eth_tx_queue_setup(port_id, q, kTxDescriptors, rte_eth_dev_socket_id(port_id),
                                    nullptr);
    }
    if (rc == 0) rc = rte_eth_dev_start(port_id);
    if (rc != 0) {
        error = "port " + name + ": setup failed: " + rte_strerror(-rc);
        return false;
    }
    // Multicast in both directions: the black port must see every group's ESP, the red
    // port every group the red hosts send to. Not every vdev supports it; that is fine.
    rte_eth_promiscuous_enable(port_id);
    rte_eth_allmulticast_enable(port_id);
    return true;
}

bool open_ports(const config::ApplianceConfig& config, rte_mempool* pool, uint16_t tx_queues,
                std::vector<Port>& ports, std::string& error) {
    for (const auto& cfg : config.ports) {
        Port port;
        port.name = cfg.name;
        port.role = cfg.role;
        port.mtu = cfg.mtu;
        for (const auto& prefix : cfg.addresses) {
            auto& slot = prefix.address().is_v6() ? port.ipv6_address : port.ipv4_address;
            if (!slot) slot = to_esp(prefix.address());
        }
        const std::string dev = ethdev_name(cfg.device);
        if (rte_eth_dev_get_port_by_name(dev.c_str(), &port.port_id) != 0) {
            error = "port " + cfg.name + ": DPDK has no device '" + dev +
                    "' (check the device string, that the NIC is bound to a DPDK driver, or "
                    "that the vdev's interface exists)";
            return false;
        }
        if (!start_port(port.port_id, cfg.name, pool, tx_queues, true, port.rx_queues, error)) {
            return false;
        }
        rte_ether_addr mac{};
        rte_eth_macaddr_get(port.port_id, &mac);
        std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), port.mac.begin());
        if (port.role == config::PortRole::Red) {
            port.red_index =
                static_cast<uint32_t>(std::count_if(ports.begin(), ports.end(), [](const Port& p) {
                    return p.role == config::PortRole::Red;
                }));
        }
        ports.push_back(port);
    }
    return true;
}

void close_ports(std::vector<Port>& ports) {
    for (const Port& p : ports) {
        rte_eth_dev_stop(p.port_id);
        rte_eth_dev_close(p.port_id);
    }
    ports.clear();
}

}  // namespace mcsec::dataplane
