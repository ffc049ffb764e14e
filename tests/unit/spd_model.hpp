// Random SPD configurations, red packets for them, and a reference SPD written from RFC 4301
// section 4.4.1 (a linear scan: same group, source within the prefix, most specific first, no
// match = DISCARD) that decides what the dataplane must do with each packet. Shared by the
// property tests of manual keying (spd_property_test.cpp) and of controld's SaInstaller
// (controld_test.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/shm/region.hpp"

namespace mcsec::test {

// The seed of a property test: MCSEC_SPD_SEED from the environment, else `fixed`.
uint64_t spd_seed(uint64_t fixed);

// A random appliance config as TOML: 1-4 red groups (IPv4 and IPv6), each with 1-10 entries
// whose source prefixes overlap (lengths 0 to host, "any source" written both as no `source`
// and as a /0), actions protect, bypass and discard. `manual`: keying.mode "manual" with one
// manual SA per protected entry (SPIs from 0x1000 up); else "mike".
std::string random_spd_config(std::mt19937_64& rng, const std::string& instance, bool manual);

struct RedPacket {
    config::IpAddress group;
    config::IpAddress source;
};

// Red packets for `config`: sources inside and outside its prefixes, on both sides of their
// boundaries, and to groups it does not know; repeats (same group and source) follow each
// other now and then, as in a burst.
std::vector<RedPacket> random_red_packets(std::mt19937_64& rng,
                                          const config::ApplianceConfig& config, size_t count);

// The reference: the config group whose entry applies to the packet, nullptr for none.
// `matches` (if given) receives how many entries match the packet at all.
const config::Group* reference_entry(const config::ApplianceConfig& config, const RedPacket& packet,
                                     unsigned* matches = nullptr);

struct SpdCheck {
    uint64_t packets = 0;
    // What the reference decided, so a test can insist that every case came up.
    uint64_t protect = 0, bypass = 0, discard = 0, no_entry = 0, ipv6 = 0;
    uint64_t overlapping = 0;     // packets matched by several entries (the longest must win)
    uint64_t wrong = 0;           // any verdict other than the reference's
    uint64_t plaintext = 0;       // BYPASS where the reference says PROTECT, DISCARD or no entry
    std::string first_failure;    // the first wrong verdict
    std::string first_plaintext;  // the first of those that leaked plaintext
};

// Sends `packets` through the real outbound classification (OutboundPolicy over SaTableReader
// and SaCache on `region`), begin_burst() every 8 packets, and compares each verdict with the
// reference. `sending_spi` says which SPI a protected entry must use (nullopt: not keyed yet,
// so the packet must be discarded).
void check_outbound_verdicts(
    const config::ApplianceConfig& config, shm::Region& region,
    const std::vector<RedPacket>& packets,
    const std::function<std::optional<uint32_t>(const config::Group&)>& sending_spi,
    SpdCheck& result);

}  // namespace mcsec::test
