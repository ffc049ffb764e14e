// Security Policy Database for outbound red traffic: (group[, source]) -> PROTECT / BYPASS /
// DISCARD. Anything without an entry is discarded: the appliance fails closed, and plaintext
// leaves on a black port only through an explicit BYPASS entry.
#pragma once

#include <cstdint>

#include "mcsec/esp/drop_reason.hpp"
#include "mcsec/esp/fixed_hash_map.hpp"
#include "mcsec/esp/ip_header.hpp"
#include "mcsec/esp/packet_buffer.hpp"
#include "mcsec/esp/security_association.hpp"

namespace mcsec::esp {

enum class PolicyAction : uint8_t { Discard, Bypass, Protect };

struct SpdEntry {
    PolicyAction action = PolicyAction::Discard;
    OutboundSa* sa = nullptr;  // PROTECT: the group's current outbound SA (may be absent)
};

struct SpdKey {
    IpAddress group;
    IpAddress source;  // all zero = any source
    bool any_source = true;
    bool operator==(const SpdKey&) const = default;
};

struct SpdKeyHash {
    uint32_t operator()(const SpdKey& k) const;
};

// What the SPD decided for one packet.
struct SpdVerdict {
    PolicyAction action = PolicyAction::Discard;
    OutboundSa* sa = nullptr;
    DropReason reason = DropReason::NoPolicy;  // meaningful for Discard, and PROTECT without SA
};

class Spd {
  public:
    explicit Spd(uint32_t capacity) : map_(capacity) {}

    // A source-specific entry (RFC 5374 SSM-style) wins over the group's any-source entry.
    bool add(const IpAddress& group, const SpdEntry& entry);
    bool add(const IpAddress& group, const IpAddress& source, const SpdEntry& entry);
    bool remove(const IpAddress& group);
    bool remove(const IpAddress& group, const IpAddress& source);

    SpdVerdict lookup(const IpAddress& group, const IpAddress& source) const;

    // Classifies one red packet: parses its IP header and looks up its (group, source).
    SpdVerdict classify(const PacketBuffer& packet) const;

  private:
    FixedHashMap<SpdKey, SpdEntry, SpdKeyHash> map_;
    uint32_t source_specific_ = 0;  // skip the exact lookup while there are none
};

}  // namespace mcsec::esp
