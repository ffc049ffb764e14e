#include "lcore_loop.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>

#include "mcsec/dataplane/ethernet.hpp"
#include "mcsec/dataplane/igmp_mld.hpp"
#include "mcsec/dataplane/membership_query.hpp"
#include "mcsec/dataplane/outbound_policy.hpp"
#include "mcsec/dataplane/packet_too_big.hpp"
#include "mcsec/dataplane/sa_cache.hpp"
#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "mcsec/shm/monotonic.hpp"
#include "outer_fragments.hpp"

namespace mcsec::dataplane {

namespace {

constexpr uint16_t kBurst = 32;

// Everything one lcore owns; nothing here is shared with another lcore.
class Worker {
  public:
    explicit Worker(LcoreTask& task)
        : task_(task),
          engine_(crypto::make_ipsecmb_engine()),
          reader_(*task.region),
          cache_(*task.region, *engine_),
          lookup_(reader_, cache_),
          policy_(reader_, cache_),
          encap_(*engine_),
          decap_(*engine_, lookup_),
          counters_(task.region->counters(task.index)),
          fragmenter_(task.pool, task.indirect_pool),
          reassembler_(static_cast<int>(rte_socket_id())) {
        if (!reassembler_.ok()) {
            std::fprintf(stderr,
                         "mcsec-dataplane: lcore %u: no memory for the reassembly table: outer "
                         "fragments will be dropped (outer_fragment)\n",
                         task.index);
        }
    }

    void run() {
        reader_.set_online(task_.index, true);
        uint32_t idle = 0;
        while (!task_.stop->load(std::memory_order_relaxed)) {
            uint32_t work = 0;
            for (const auto& [port, queue] : task_.polls) {
                std::array<rte_mbuf*, kBurst> mbufs;
                const uint16_t n = rte_eth_rx_burst(port->port_id, queue, mbufs.data(), kBurst);
                if (n == 0) continue;
                work += n;
                if (port->is_tap) {
                    from_kernel(*port, mbufs.data(), n);
                } else if (port->role == config::PortRole::Red) {
                    add(counters_.red_rx, n);
                    from_red(port, mbufs.data(), n);
                } else {
                    add(counters_.black_rx, n);
                    from_black(*port, mbufs.data(), n);
                }
            }
            // The querier's clock is read now and then, not on every poll.
            if ((++loops_ & 0x3ff) == 0 || work == 0) query_red_ports();
            // No reference into the tables survives this point: retired SAs' key schedules
            // go now, and writers may reclaim.
            cache_.drop_retired();
            reader_.quiescent(task_.index);
            publish_drops();
            if (work > 0) {
                idle = 0;
            } else if (task_.settings->idle_sleep_us > 0 && ++idle >= task_.settings->idle_polls) {
                usleep(task_.settings->idle_sleep_us);
            }
        }
        reader_.set_online(task_.index, false);
    }

  private:
    static void add(std::atomic<uint64_t>& c, uint64_t n) {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void drop(rte_mbuf* m, esp::DropReason reason) {
        local_drops_.add(reason);
        rte_pktmbuf_free(m);
    }
    void publish_drops() {
        for (size_t r = 0; r < esp::kDropReasonCount; ++r) {
            const uint64_t total =
                local_drops_.count[r] + encap_.drops().count[r] + decap_.drops().count[r];
            counters_.drops[r].store(total, std::memory_order_relaxed);
        }
    }

    // The IP packet inside a single-segment frame, as the ESP core's buffer; false if the
    // frame is not something we forward (the mbuf is then dropped and counted).
    bool view(rte_mbuf* m, esp::PacketBuffer& out) {
        if (m->nb_segs != 1) {
            drop(m, esp::DropReason::MultiSegment);
            return false;
        }
        const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
        const uint32_t l3 = ip_offset(frame, m->data_len);
        if (l3 == 0) {
            drop(m, esp::DropReason::NotIp);
            return false;
        }
        out = esp::PacketBuffer(static_cast<uint8_t*>(m->buf_addr), m->buf_len, m->data_off + l3,
                                m->data_len - l3);
        return true;
    }

    // Makes the mbuf hold `packet` behind a fresh Ethernet header.
    static void frame(rte_mbuf* m, const esp::PacketBuffer& packet, const MacAddress& dst,
                      const MacAddress& src, esp::IpFamily family) {
        m->data_off = static_cast<uint16_t>(packet.offset() - kEthernetHeaderLen);
        m->data_len = static_cast<uint16_t>(packet.length() + kEthernetHeaderLen);
        m->pkt_len = m->data_len;
        write_ethernet(rte_pktmbuf_mtod(m, uint8_t*), dst, src, family);
    }

    // Sends `n` frames on every port of `ports` (reference counts for the extra copies).
    void transmit(const std::vector<const Port*>& ports, rte_mbuf** mbufs, uint16_t n,
                  std::atomic<uint64_t>& tx_counter) {
        if (n == 0) return;
        if (ports.empty()) {
            for (uint16_t i = 0; i < n; ++i) drop(mbufs[i], esp::DropReason::TxFull);
            return;
        }
        // Every segment: a fragment's data segments are freed with it.
        for (size_t p = 1; p < ports.size(); ++p) {
            for (uint16_t i = 0; i < n; ++i) {
                for (rte_mbuf* seg = mbufs[i]; seg != nullptr; seg = seg->next) {
                    rte_mbuf_refcnt_update(seg, 1);
                }
            }
        }
        for (const Port* port : ports) {
            const uint16_t sent = rte_eth_tx_burst(port->port_id, task_.tx_queue, mbufs, n);
            add(tx_counter, sent);
            for (uint16_t i = sent; i < n; ++i) drop(mbufs[i], esp::DropReason::TxFull);
        }
    }

    // IGMP/MLD from a red host: recorded in the membership table and consumed (never sent to
    // black). True if the packet was one (the caller frees it).
    // IGMP, or IPv6 with a hop-by-hop header or ICMPv6 (where MLD lives).
    static bool may_be_membership(const esp::IpHeaderInfo& ip) {
        return ip.family == esp::IpFamily::V4 ? ip.protocol == 2
                                              : (ip.protocol == 0 || ip.protocol == 58);
    }

    bool snoop(const Port& port, const esp::PacketBuffer& packet) {
        changes_.clear();
        switch (parse_membership(packet.bytes(), changes_)) {
            case MembershipParse::NotMembership:
                return false;
            case MembershipParse::Malformed:
                local_drops_.add(esp::DropReason::MembershipMalformed);
                return true;
            case MembershipParse::Report:
                for (const auto& c : changes_) {
                    task_.membership->record(port.red_index, c.group, c.joined, now_seconds());
                }
                add(counters_.exception, 1);
                return true;
        }
        return false;
    }

    // IGMPv3 and MLDv2 general queries on the red ports this lcore polls (queue 0 only, so
    // one lcore per port), every query interval; the first at start.
    void query_red_ports() {
        const uint32_t interval = task_.settings->query_interval_s;
        if (interval == 0) return;
        const uint64_t now = now_seconds();
        for (const auto& [port, queue] : task_.polls) {
            if (port->is_tap || port->role != config::PortRole::Red || queue != 0) continue;
            uint64_t& due = next_query_[port->red_index];
            if (now < due) continue;
            due = now + interval;
            const QueryTiming timing = query_timing(interval);
            send_query(*port, esp::IpFamily::V4, timing);
            send_query(*port, esp::IpFamily::V6, timing);
            task_.membership->queried(port->red_index);
        }
    }

    void send_query(const Port& port, esp::IpFamily family, const QueryTiming& timing) {
        rte_mbuf* m = rte_pktmbuf_alloc(task_.pool);
        if (m == nullptr) return;
        constexpr uint16_t kRoom = 128;
        auto* frame_start = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kRoom));
        const std::span<uint8_t> ip{frame_start + kEthernetHeaderLen, kRoom - kEthernetHeaderLen};
        const size_t n = family == esp::IpFamily::V4
                             ? build_igmp_query(port.ipv4_address, timing, ip)
                             : build_mld_query(link_local_address(port.mac), timing, ip);
        if (n == 0) {
            rte_pktmbuf_free(m);
            return;
        }
        rte_pktmbuf_trim(m, static_cast<uint16_t>(kRoom - kEthernetHeaderLen - n));
        const auto all_hosts = family == esp::IpFamily::V4
                                   ? multicast_mac(esp::IpAddress::from_v4(kAllHostsV4))
                                   : MacAddress{0x33, 0x33, 0, 0, 0, 1};
        write_ethernet(frame_start, all_hosts, port.mac, family);
        if (rte_eth_tx_burst(port.port_id, task_.tx_queue, &m, 1) == 1) {
            add(counters_.exception, 1);  // control traffic of our own, not forwarded data
        } else {
            rte_pktmbuf_free(m);
        }
    }

    uint16_t black_mtu() const {
        return task_.black_ports.empty() ? 1500 : task_.black_ports[0]->mtu;
    }

    // mtu_policy "icmp" decides before encryption (the packet is still the red one, and no
    // sequence number is spent on it).
    bool too_big_for_icmp_policy(const esp::IpHeaderInfo& ip, const esp::OutboundSa& sa) const {
        return task_.settings->mtu_policy == config::MtuPolicy::Icmp &&
               esp::esp_tunnel_length(ip.total_length, sa.outer_family) > black_mtu();
    }

    // Drops an oversize red packet; an IPv6 source learns the size that fits (rate-limited).
    // IPv4 gets no ICMP: RFC 1122 3.2.2 forbids errors about multicast datagrams.
    void refuse_too_big(const Port& port, rte_mbuf* m, const esp::PacketBuffer& packet,
                        const esp::IpHeaderInfo& ip, esp::IpFamily outer_family) {
        if (ip.family == esp::IpFamily::V6 && port.ipv6_address) {
            const auto now = std::chrono::steady_clock::now().time_since_epoch();
            if (icmp_limit_.allow(static_cast<uint64_t>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()))) {
                send_packet_too_big(port, m, packet, outer_family);
            }
        }
        drop(m, esp::DropReason::MtuExceeded);
    }

    void send_packet_too_big(const Port& port, rte_mbuf* original, const esp::PacketBuffer& packet,
                             esp::IpFamily outer_family) {
        rte_mbuf* m = rte_pktmbuf_alloc(task_.pool);
        if (m == nullptr) return;
        auto* frame_start = reinterpret_cast<uint8_t*>(
            rte_pktmbuf_append(m, static_cast<uint16_t>(kEthernetHeaderLen + kIpv6MinimumMtu)));
        const uint32_t mtu =
            std::max(esp::max_inner_length(black_mtu(), outer_family), kIpv6MinimumMtu);
        const size_t n =
            frame_start == nullptr
                ? 0
                : build_packet_too_big({packet.data(), packet.length()}, *port.ipv6_address, mtu,
                                       {frame_start + kEthernetHeaderLen, kIpv6MinimumMtu});
        if (n == 0) {
            rte_pktmbuf_free(m);
            return;
        }
        rte_pktmbuf_trim(m, static_cast<uint16_t>(kIpv6MinimumMtu - n));
        MacAddress red_host;  // the original frame's source
        std::copy_n(rte_pktmbuf_mtod(original, const uint8_t*) + 6, 6, red_host.begin());
        write_ethernet(frame_start, red_host, port.mac, esp::IpFamily::V6);
        if (rte_eth_tx_burst(port.port_id, task_.tx_queue, &m, 1) == 1) {
            add(counters_.exception, 1);  // control traffic of our own, not forwarded data
        } else {
            rte_pktmbuf_free(m);
        }
    }

    void from_red(const Port* port, rte_mbuf** mbufs, uint16_t n) {
        std::array<rte_mbuf*, kBurst> protect_mbufs, bypass;
        std::array<esp::PacketBuffer, kBurst> buffers;
        std::array<esp::PacketBuffer*, kBurst> pkts;
        std::array<esp::OutboundSa*, kBurst> sas;
        uint16_t protect = 0, bypassed = 0;
        policy_.begin_burst();
        for (uint16_t i = 0; i < n; ++i) {
            esp::PacketBuffer& b = buffers[protect];
            if (!view(mbufs[i], b)) continue;
            // One parse per packet serves the multicast check, snooping and the SPD.
            esp::IpHeaderInfo ip;
            if (esp::parse_ip_header(b.bytes(), ip) != esp::IpParseStatus::Ok) {
                drop(mbufs[i], esp::DropReason::InnerMalformed);
                continue;
            }
            if (!ip.destination.is_multicast()) {
                drop(mbufs[i], esp::DropReason::NotMulticast);
                continue;
            }
            if (may_be_membership(ip) && snoop(*port, b)) {
                rte_pktmbuf_free(mbufs[i]);
                continue;
            }
            const OutboundVerdict v = policy_.classify(ip);
            switch (v.action) {
                case shm::PolicyAction::Protect:
                    if (too_big_for_icmp_policy(ip, *v.sa)) {
                        refuse_too_big(*port, mbufs[i], b, ip, v.sa->outer_family);
                        continue;
                    }
                    protect_mbufs[protect] = mbufs[i];
                    pkts[protect] = &b;
                    sas[protect] = v.sa;
                    ++protect;
                    break;
                case shm::PolicyAction::Bypass:
                    bypass[bypassed++] = mbufs[i];  // explicit BYPASS: leaves as it came
                    break;
                case shm::PolicyAction::Discard:
                    drop(mbufs[i], v.reason);
                    break;
            }
        }
        std::array<esp::DropReason, kBurst> reasons;
        const uint32_t good = encap_.process({pkts.data(), protect}, {sas.data(), protect},
                                             {reasons.data(), protect}, now_seconds());
        // process() reordered pkts: find each buffer's mbuf by its position in `buffers`.
        // Room for every packet of the burst as fragments (mtu_policy "fragment").
        std::array<rte_mbuf*, kBurst * kMaxOuterFragments> out;
        uint16_t out_count = 0;
        const uint16_t mtu = black_mtu();
        const MacAddress source =
            task_.black_ports.empty() ? MacAddress{} : task_.black_ports[0]->mac;
        for (uint32_t k = 0; k < protect; ++k) {
            rte_mbuf* m = protect_mbufs[static_cast<size_t>(pkts[k] - buffers.data())];
            if (k >= good) {
                rte_pktmbuf_free(m);  // counted by the stage
                continue;
            }
            const esp::OutboundSa& sa = *sas[k];
            const MacAddress destination = multicast_mac(sa.tunnel_destination);
            if (pkts[k]->length() > mtu) {
                if (task_.settings->mtu_policy != config::MtuPolicy::Fragment) {
                    drop(m, esp::DropReason::MtuExceeded);
                    continue;
                }
                m->data_off = static_cast<uint16_t>(pkts[k]->offset());
                m->data_len = static_cast<uint16_t>(pkts[k]->length());
                m->pkt_len = m->data_len;
                const uint16_t fragments = fragmenter_.fragment(m, mtu, destination, source,
                                                                std::span(out).subspan(out_count));
                if (fragments == 0) local_drops_.add(esp::DropReason::MtuExceeded);
                out_count = static_cast<uint16_t>(out_count + fragments);
                continue;
            }
            frame(m, *pkts[k], destination, source, sa.outer_family);
            out[out_count++] = m;
        }
        transmit(task_.black_ports, out.data(), out_count, counters_.black_tx);
        transmit(task_.black_ports, bypass.data(), bypassed, counters_.black_tx);
    }

    // Frames the appliance's kernel sends (ARP/ND answers, IGMP/MLD reports, controld's
    // traffic) leave by the TAP's black port as they are.
    void from_kernel(const Port& tap, rte_mbuf** mbufs, uint16_t n) {
        const uint16_t sent = rte_eth_tx_burst(tap.black_port_id, task_.tx_queue, mbufs, n);
        add(counters_.black_tx, sent);
        for (uint16_t i = sent; i < n; ++i) drop(mbufs[i], esp::DropReason::TxFull);
    }

    void from_black(const Port& port, rte_mbuf** mbufs, uint16_t n) {
        std::array<rte_mbuf*, kBurst> esp_mbufs, to_kernel;
        std::array<esp::PacketBuffer, kBurst> buffers;
        std::array<esp::PacketBuffer*, kBurst> pkts;
        uint16_t count = 0, punted = 0;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = mbufs[i];
            if (m->nb_segs != 1) {
                drop(m, esp::DropReason::MultiSegment);
                continue;
            }
            const BlackClassification c = classify_black_frame(rte_pktmbuf_mtod(m, const uint8_t*),
                                                               m->data_len, task_.exception_rules);
            if (c.verdict == BlackVerdict::Exception && port.has_tap) {
                to_kernel[punted++] = m;
                continue;
            }
            if (c.verdict == BlackVerdict::EspFragment) {
                bool failed = false;
                m = reassembler_.ok() ? reassembler_.add(m, failed)
                                      : (rte_pktmbuf_free(m), failed = true, nullptr);
                if (failed) local_drops_.add(esp::DropReason::OuterFragment);
                if (m == nullptr) continue;  // kept until its set is complete
            } else if (c.verdict != BlackVerdict::Esp) {
                drop(m, c.reason);
                continue;
            }
            if (!view(m, buffers[count])) continue;
            esp_mbufs[count] = m;
            pkts[count] = &buffers[count];
            ++count;
        }
        reassembler_.free_death_row();
        if (punted > 0) {
            const uint16_t sent =
                rte_eth_tx_burst(port.tap_port_id, task_.tx_queue, to_kernel.data(), punted);
            add(counters_.exception, sent);
            for (uint16_t i = sent; i < punted; ++i) drop(to_kernel[i], esp::DropReason::TxFull);
        }
        std::array<esp::InboundSa*, kBurst> sas;
        std::array<esp::DropReason, kBurst> reasons;
        const uint32_t good = decap_.process({pkts.data(), count}, {sas.data(), count},
                                             {reasons.data(), count}, now_seconds());
        std::array<rte_mbuf*, kBurst> out;
        std::array<uint64_t, kBurst> out_ports;
        const uint64_t now_s = now_seconds();
        uint16_t out_count = 0;
        for (uint32_t k = 0; k < count; ++k) {
            rte_mbuf* m = esp_mbufs[static_cast<size_t>(pkts[k] - buffers.data())];
            if (k >= good) {
                rte_pktmbuf_free(m);  // counted by the stage
                continue;
            }
            esp::PacketBuffer& inner = *pkts[k];
            if (!decrement_ttl(inner.data())) {
                drop(m, esp::DropReason::TtlExpired);
                continue;
            }
            const esp::IpFamily family =
                (inner.data()[0] >> 4) == 4 ? esp::IpFamily::V4 : esp::IpFamily::V6;
            // Only red ports where a host joined the group (IGMP/MLD snooping).
            uint64_t ports = 0;
            for (const Port* red : task_.red_ports) {
                if (task_.membership->subscribed(red->red_index, sas[k]->red_group, now_s)) {
                    ports |= uint64_t{1} << red->red_index;
                }
            }
            if (ports == 0) {
                drop(m, esp::DropReason::NoSubscriber);
                continue;
            }
            frame(m, inner, multicast_mac(sas[k]->red_group),
                  task_.red_ports.empty() ? MacAddress{} : task_.red_ports[0]->mac, family);
            out[out_count] = m;
            out_ports[out_count++] = ports;
        }
        // One tx burst per red port with the packets it wants; an mbuf sent on several ports
        // gets one reference per extra port.
        for (uint16_t k = 0; k < out_count; ++k) {
            const int copies = __builtin_popcountll(out_ports[k]);
            if (copies > 1) rte_mbuf_refcnt_update(out[k], static_cast<int16_t>(copies - 1));
        }
        for (const Port* red : task_.red_ports) {
            std::array<rte_mbuf*, kBurst> batch;
            uint16_t count_for_port = 0;
            for (uint16_t k = 0; k < out_count; ++k) {
                if (out_ports[k] >> red->red_index & 1u) batch[count_for_port++] = out[k];
            }
            if (count_for_port == 0) continue;
            const uint16_t sent =
                rte_eth_tx_burst(red->port_id, task_.tx_queue, batch.data(), count_for_port);
            add(counters_.red_tx, sent);
            for (uint16_t i = sent; i < count_for_port; ++i)
                drop(batch[i], esp::DropReason::TxFull);
        }
    }

    static uint64_t now_seconds() { return shm::monotonic_seconds(); }

    LcoreTask& task_;
    std::unique_ptr<crypto::AeadEngine> engine_;
    shm::SaTableReader reader_;
    SaCache cache_;
    ShmInboundLookup lookup_;
    OutboundPolicy policy_;
    esp::EspEncap encap_;
    esp::EspDecap decap_;
    shm::Counters& counters_;
    esp::DropCounters local_drops_;
    std::vector<MembershipChange> changes_;
    OuterFragmenter fragmenter_;
    OuterReassembler reassembler_;
    // RFC 4443 2.4 (f): ICMPv6 errors rate-limited, here to 100/s with bursts of 10 per lcore.
    ErrorRateLimit icmp_limit_{100, 10};
    uint64_t loops_ = 0;
    std::array<uint64_t, 64> next_query_{};  // per red port index: when the next query is due
    static constexpr uint8_t kAllHostsV4[4] = {224, 0, 0, 1};
};

}  // namespace

int lcore_main(void* arg) {
    auto& task = *static_cast<LcoreTask*>(arg);
    Worker worker(task);
    worker.run();
    return 0;
}

}  // namespace mcsec::dataplane
