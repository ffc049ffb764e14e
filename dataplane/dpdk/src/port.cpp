#include "port.hpp"

#include <algorithm>

#include "mcsec/dataplane/eal_args.hpp"
#include "mcsec/shm/keying/sa_builder.hpp"

namespace mcsec::dataplane {

namespace {
constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;
}  // namespace

bool start_port(uint16_t port_id, const std::string& name, rte_mempool* pool, uint16_t tx_queues,
                std::optional<uint16_t> rx_wanted, uint16_t& rx_queues, std::string& rx_spread,
                std::string& error) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port_id, &info) != 0) {
        error = "port " + name + ": cannot read device info";
        return false;
    }
    const std::string driver = info.driver_name != nullptr ? info.driver_name : "?";
    if (info.max_tx_queues < tx_queues) {
        error = "port " + name + ": needs " + std::to_string(tx_queues) +
                " tx queues (one per lcore), device has " + std::to_string(info.max_tx_queues);
        if (driver == "net_af_packet")
            error += " (give it qpairs=" + std::to_string(tx_queues) + ")";
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
    if (!rx_wanted) {
        rx_queues = 1;
        if (tx_queues > 1 && ip_hash != 0 && info.max_rx_queues >= tx_queues) {
            rx_queues = tx_queues;
        }
    } else {
        rx_queues = *rx_wanted;
        if (rx_queues > tx_queues) {
            error = "port " + name + ": rx_queues = " + std::to_string(rx_queues) + ", but only " +
                    std::to_string(tx_queues) + " lcores poll (one per queue)";
            return false;
        }
        if (info.max_rx_queues < rx_queues) {
            error = "port " + name + ": rx_queues = " + std::to_string(rx_queues) + ", but " +
                    driver + " gives at most " + std::to_string(info.max_rx_queues) + " rx queues" +
                    (driver == "net_af_packet" ? " (qpairs=" + std::to_string(rx_queues) + ")"
                                               : std::string());
            return false;
        }
    }
    // net_af_packet opens its qpairs sockets at probe time in one PACKET_FANOUT group: the kernel
    // hashes each received flow to one of them whether its queue is polled or not.
    if (driver == "net_af_packet" && info.max_rx_queues > rx_queues) {
        const std::string fix =
            info.max_rx_queues <= tx_queues
                ? "set rx_queues = " + std::to_string(info.max_rx_queues) + " on this port"
                : "give it qpairs=" + std::to_string(tx_queues) +
                      (tx_queues > 1 ? " and rx_queues = " + std::to_string(tx_queues) : "");
        error = "port " + name +
                ": net_af_packet with qpairs=" + std::to_string(info.max_rx_queues) +
                " spreads received flows over " + std::to_string(info.max_rx_queues) +
                " sockets, but " + std::to_string(rx_queues) +
                " rx queue(s) would be polled and the others' packets lost: " + fix;
        return false;
    }
    if (rx_queues > 1 && ip_hash != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = ip_hash;
        rx_spread = "RSS on IP addresses";
    } else if (rx_queues > 1) {
        rx_spread = "spread by the device itself (" + driver + ": no RSS on IP addresses)";
    } else if (rx_wanted) {
        rx_spread = "rx_queues = 1";
    } else {
        rx_spread = tx_queues > 1 ? "no RSS on IP addresses in " + driver : "the only lcore";
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
        error = "port " + name + ": setup failed with " + std::to_string(rx_queues) + " rx and " +
                std::to_string(tx_queues) + " tx queues: " + rte_strerror(-rc);
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
            if (!slot) slot = shm::to_esp(prefix.address());
        }
        const std::string dev = ethdev_name(cfg.device);
        if (rte_eth_dev_get_port_by_name(dev.c_str(), &port.port_id) != 0) {
            error = "port " + cfg.name + ": DPDK has no device '" + dev +
                    "' (check the device string, that the NIC is bound to a DPDK driver, or "
                    "that the vdev's interface exists)";
            return false;
        }
        if (!start_port(port.port_id, cfg.name, pool, tx_queues, cfg.rx_queues, port.rx_queues,
                        port.rx_spread, error)) {
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
