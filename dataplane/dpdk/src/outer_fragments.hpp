// Outer (black-side) IP fragments for mtu_policy = "fragment": an ESP packet over the black
// MTU is fragmented after encryption (RFC 4459 section 3 "fragment the outer packet"), and
// outer fragments arriving on black are reassembled before decap, so the inner packet crosses
// the black network whole-or-not-at-all and red hosts never see a fragment they did not send.
// DPDK's librte_ip_frag does the work; one instance per lcore, nothing shared.
#pragma once

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <span>

#include "mcsec/dataplane/ethernet.hpp"

namespace mcsec::dataplane {

// At most this many fragments per packet: a 2 KB mbuf at the smallest sensible black MTU.
inline constexpr uint16_t kMaxOuterFragments = 8;

class OuterFragmenter {
  public:
    // `direct` holds the fragments' headers, `indirect` (no data room) points into the original.
    OuterFragmenter(rte_mempool* direct, rte_mempool* indirect)
        : direct_(direct), indirect_(indirect) {}

    // Splits `m`, whose data is exactly one outer IPv4/IPv6 packet, into fragments of at most
    // `mtu` bytes, each behind an Ethernet header, written to `out`. Consumes `m` either way;
    // returns the number of fragments, 0 on failure (too many fragments, no mbufs).
    uint16_t fragment(rte_mbuf* m, uint16_t mtu, const MacAddress& dst, const MacAddress& src,
                      std::span<rte_mbuf*> out);

  private:
    rte_mempool* direct_;
    rte_mempool* indirect_;
};

class OuterReassembler {
  public:
    explicit OuterReassembler(int socket);
    ~OuterReassembler();
    OuterReassembler(const OuterReassembler&) = delete;
    OuterReassembler& operator=(const OuterReassembler&) = delete;

    bool ok() const { return table_ != nullptr; }
    // Adds one fragment (an untagged Ethernet frame).
    // Returns the reassembled frame in one segment once every fragment is there, else nullptr
    // (the table keeps the fragment, or dropped it: a bad or expired set goes to the death
    // row). `dropped` is set when a completed packet could not be made one segment.
    rte_mbuf* add(rte_mbuf* m, bool& dropped);
    // Frees what the table gave up on; call once per burst.
    void free_death_row() { rte_ip_frag_free_death_row(&death_row_, 0); }

  private:
    rte_ip_frag_tbl* table_ = nullptr;
    rte_ip_frag_death_row death_row_{};
};

}  // namespace mcsec::dataplane
