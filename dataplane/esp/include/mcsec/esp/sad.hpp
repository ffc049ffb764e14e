// Security Association Database for inbound ESP: (SPI, outer destination) -> inbound SA, the
// RFC 4301 / RFC 5374 multicast lookup, in O(1).
#pragma once

#include <cstdint>

#include "mcsec/esp/fixed_hash_map.hpp"
#include "mcsec/esp/ip_header.hpp"
#include "mcsec/esp/security_association.hpp"

namespace mcsec::esp {

struct SadKey {
    uint32_t spi = 0;
    IpAddress destination;
    bool operator==(const SadKey&) const = default;
};

struct SadKeyHash {
    uint32_t operator()(const SadKey& k) const;
};

// How decap finds the inbound SA of a packet: the in-process Sad below, or the dataplane's
// view of the shared-memory SAD.
class InboundSaLookup {
  public:
    virtual ~InboundSaLookup() = default;
    virtual InboundSa* find(uint32_t spi, const IpAddress& destination) const = 0;
};

class Sad final : public InboundSaLookup {
  public:
    explicit Sad(uint32_t capacity) : map_(capacity) {}
    bool add(InboundSa* sa) { return map_.insert({sa->spi, sa->tunnel_destination}, sa); }
    bool remove(uint32_t spi, const IpAddress& destination) {
        return map_.erase({spi, destination});
    }
    InboundSa* find(uint32_t spi, const IpAddress& destination) const override {
        InboundSa* const* sa = map_.find({spi, destination});
        return sa ? *sa : nullptr;
    }
    uint32_t size() const { return map_.size(); }

  private:
    FixedHashMap<SadKey, InboundSa*, SadKeyHash> map_;
};

}  // namespace mcsec::esp
