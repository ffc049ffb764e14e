// Burst conventions shared by the ESP stages (after DPDK lib/ipsec): a stage takes an array of
// packets, processes them together, and returns how many succeeded. Good packets come first,
// in their original order; dropped packets follow with their reasons, for the caller to count
// and free. The hot loop never branches into error handling beyond setting a reason.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "mcsec/esp/drop_reason.hpp"
#include "mcsec/esp/packet_buffer.hpp"

namespace mcsec::esp {

// Packets per internal chunk; longer bursts are processed in chunks of this size.
inline constexpr uint32_t kMaxBurst = 64;

// Per-packet outcome inside a stage.
struct BurstStatus {
    bool ok = false;
    DropReason reason = DropReason::Count;
};

// Stable partition of pkts (and a parallel array `side`, e.g. the SA of each packet) into good
// then dropped; writes the reasons of dropped packets into reasons[good..]. Returns the number
// of good packets.
template <typename Side>
uint32_t partition_burst(std::span<PacketBuffer*> pkts, std::span<Side> side,
                         std::span<const BurstStatus> status, std::span<DropReason> reasons) {
    PacketBuffer* bad_pkts[kMaxBurst];
    Side bad_side[kMaxBurst];
    DropReason bad_reasons[kMaxBurst];
    uint32_t good = 0, bad = 0;
    for (uint32_t i = 0; i < pkts.size(); ++i) {
        if (status[i].ok) {
            pkts[good] = pkts[i];
            side[good] = side[i];
            ++good;
        } else {
            bad_pkts[bad] = pkts[i];
            bad_side[bad] = side[i];
            bad_reasons[bad] = status[i].reason;
            ++bad;
        }
    }
    for (uint32_t j = 0; j < bad; ++j) {
        pkts[good + j] = bad_pkts[j];
        side[good + j] = bad_side[j];
        reasons[good + j] = bad_reasons[j];
    }
    return good;
}

// Runs `chunk_fn(pkts, side, reasons) -> good count` over chunks of at most kMaxBurst packets
// (so stages can keep per-chunk scratch on the stack) and gathers every chunk's good packets at
// the front, dropped ones (with their reasons) behind them.
template <typename Side, typename ChunkFn>
uint32_t process_in_chunks(std::span<PacketBuffer*> pkts, std::span<Side> side,
                           std::span<DropReason> reasons, ChunkFn&& chunk_fn) {
    uint32_t good_total = 0;
    for (size_t start = 0; start < pkts.size(); start += kMaxBurst) {
        const size_t n = std::min<size_t>(kMaxBurst, pkts.size() - start);
        const uint32_t good =
            chunk_fn(pkts.subspan(start, n), side.subspan(start, n), reasons.subspan(start, n));
        // [good_total, start) holds earlier drops; move this chunk's good packets before them.
        const auto rotate = [&](auto span) {
            std::rotate(span.begin() + good_total, span.begin() + static_cast<long>(start),
                        span.begin() + static_cast<long>(start + good));
        };
        rotate(pkts);
        rotate(side);
        rotate(reasons);
        good_total += good;
    }
    return good_total;
}

}  // namespace mcsec::esp
