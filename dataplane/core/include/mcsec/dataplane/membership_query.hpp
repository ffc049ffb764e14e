// The red ports' querier (RFC 3376 IGMPv3, RFC 3810 MLDv2): general queries make the red hosts
// report their memberships again, so the membership table can let a silent one lapse. The
// appliance is the red network's only way to the groups, so it acts as its multicast router.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "mcsec/dataplane/ethernet.hpp"
#include "mcsec/esp/ip_header.hpp"

namespace mcsec::dataplane {

struct QueryTiming {
    uint32_t interval_s;                      // Query Interval (QQIC)
    uint32_t max_response_ms;                 // Query Response Interval
    uint32_t membership_interval_s() const {  // RFC 3376 8.4: robustness 2
        return 2 * interval_s + (max_response_ms + 999) / 1000;
    }
};

// RFC defaults scaled to the interval: 10 s response time, or half a short interval.
QueryTiming query_timing(uint32_t interval_s);

// IPv4 packet with an IGMPv3 general query to 224.0.0.1 (TTL 1, router alert) from `source`
// (the red port's address; 0.0.0.0 without one, as RFC 4541 2.1.1 lets snooping queriers do).
size_t build_igmp_query(const std::optional<esp::IpAddress>& source, const QueryTiming& timing,
                        std::span<uint8_t> out);

// IPv6 packet with an MLDv2 general query to ff02::1 (hop limit 1, router alert) from the
// port's link-local address.
size_t build_mld_query(const esp::IpAddress& link_local, const QueryTiming& timing,
                       std::span<uint8_t> out);

// fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A).
esp::IpAddress link_local_address(const MacAddress& mac);

}  // namespace mcsec::dataplane
