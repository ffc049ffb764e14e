#include "outer_fragments.hpp"

#include <rte_cycles.h>
#include <rte_ip.h>

#include <algorithm>

namespace mcsec::dataplane {

namespace {

// Reassembly state per lcore: 2048 packets in flight at once (1 MB), plenty for fragments that
// arrive back to back; a set not complete within the timeout is given up (black-side loss
// makes waiting longer pointless).
constexpr uint32_t kBuckets = 256;
constexpr uint32_t kEntriesPerBucket = 8;
constexpr uint32_t kMaxPackets = 2048;
constexpr uint64_t kTimeoutMs = 2000;

}  // namespace

uint16_t OuterFragmenter::fragment(rte_mbuf* m, uint16_t mtu, const MacAddress& dst,
                                   const MacAddress& src, std::span<rte_mbuf*> out) {
    auto* packet = rte_pktmbuf_mtod(m, uint8_t*);
    const bool v4 = (packet[0] >> 4) == 4;
    // The fragments' identification must differ between packets of one source and group
    // while they may be in flight together. The ESP sequence number already does (it is
    // unique per SA across lcores and restarts), so it names the fragments: no counter to
    // share, nothing predictable beyond what the ESP header shows anyway.
    const uint32_t header = v4 ? (packet[0] & 0x0fu) * 4u : sizeof(rte_ipv6_hdr);
    const uint32_t identification =
        rte_be_to_cpu_32(*reinterpret_cast<const rte_be32_t*>(packet + header + 4)) ^
        rte_be_to_cpu_32(*reinterpret_cast<const rte_be32_t*>(packet + header));
    if (v4) {
        reinterpret_cast<rte_ipv4_hdr*>(packet)->packet_id =
            rte_cpu_to_be_16(static_cast<uint16_t>(identification));
    }
    const auto room = static_cast<uint16_t>(std::min<size_t>(out.size(), kMaxOuterFragments));
    const int32_t n = v4 ? rte_ipv4_fragment_packet(m, out.data(), room, mtu, direct_, indirect_)
                         : rte_ipv6_fragment_packet(m, out.data(), room, mtu, direct_, indirect_);
    rte_pktmbuf_free(m);  // the fragments hold their own references to its data
    if (n <= 0) return 0;
    for (int32_t i = 0; i < n; ++i) {
        rte_mbuf* f = out[static_cast<size_t>(i)];
        if (v4) {
            // librte_ip_frag leaves the checksum to the caller (or a NIC offload).
            auto* ip = rte_pktmbuf_mtod(f, rte_ipv4_hdr*);
            ip->hdr_checksum = 0;
            ip->hdr_checksum = rte_ipv4_cksum(ip);
        } else {
            // librte_ip_frag writes identification 0 into every IPv6 fragment header.
            auto* fragment =
                rte_pktmbuf_mtod_offset(f, rte_ipv6_fragment_ext*, sizeof(rte_ipv6_hdr));
            fragment->id = rte_cpu_to_be_32(identification);
        }
        auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(f, kEthernetHeaderLen));
        if (frame == nullptr) {  // direct mbufs come with headroom: cannot happen
            for (int32_t k = 0; k < n; ++k) rte_pktmbuf_free(out[static_cast<size_t>(k)]);
            return 0;
        }
        write_ethernet(frame, dst, src, v4 ? esp::IpFamily::V4 : esp::IpFamily::V6);
    }
    return static_cast<uint16_t>(n);
}

OuterReassembler::OuterReassembler(int socket) {
    const uint64_t max_cycles = (rte_get_tsc_hz() + 999) / 1000 * kTimeoutMs;
    table_ = rte_ip_frag_table_create(kBuckets, kEntriesPerBucket, kMaxPackets, max_cycles, socket);
}

OuterReassembler::~OuterReassembler() {
    free_death_row();
    if (table_ != nullptr) rte_ip_frag_table_destroy(table_);
}

rte_mbuf* OuterReassembler::add(rte_mbuf* m, bool& dropped) {
    dropped = false;
    m->l2_len = kEthernetHeaderLen;
    const uint64_t now = rte_rdtsc();
    rte_mbuf* whole;
    auto* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, kEthernetHeaderLen);
    if ((ip[0] >> 4) == 4) {
        auto* v4 = reinterpret_cast<rte_ipv4_hdr*>(ip);
        m->l3_len = rte_ipv4_hdr_len(v4);
        whole = rte_ipv4_frag_reassemble_packet(table_, &death_row_, m, now, v4);
    } else {
        auto* v6 = reinterpret_cast<rte_ipv6_hdr*>(ip);
        auto* fragment = rte_ipv6_frag_get_ipv6_fragment_header(v6);
        if (fragment == nullptr) {
            dropped = true;
            rte_pktmbuf_free(m);
            return nullptr;
        }
        m->l3_len = sizeof(rte_ipv6_hdr) + sizeof(rte_ipv6_fragment_ext);
        whole = rte_ipv6_frag_reassemble_packet(table_, &death_row_, m, now, v6, fragment);
    }
    if (whole == nullptr) return nullptr;
    // The ESP stages work on one contiguous buffer; a reassembled packet that fits a 2 KB
    // mbuf (anything a standard red frame becomes) is copied together.
    if (whole->nb_segs > 1 && rte_pktmbuf_linearize(whole) != 0) {
        dropped = true;
        rte_pktmbuf_free(whole);
        return nullptr;
    }
    return whole;
}

}  // namespace mcsec::dataplane
