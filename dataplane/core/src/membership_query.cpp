#include "mcsec/dataplane/membership_query.hpp"

#include <algorithm>
#include <cstring>

#include "mcsec/dataplane/icmpv6_checksum.hpp"
#include "mcsec/esp/byte_order.hpp"

namespace mcsec::dataplane {

namespace {

constexpr uint8_t kIgmpQuery = 0x11;
constexpr uint8_t kMldQuery = 130;
constexpr uint8_t kRobustness = 2;  // QRV, RFC 3376 8.1 default

// RFC 3376 4.1.1 / 4.1.7: codes below 128 are the value itself; above, a float format. We
// keep to values that fit directly (interval <= 127 s stays exact; longer ones saturate,
// which only makes hosts believe a shorter interval: they report more often, never less).
uint8_t igmp_code(uint32_t value) {
    return static_cast<uint8_t>(std::min<uint32_t>(value, 127));
}

}  // namespace

QueryTiming query_timing(uint32_t interval_s) {
    const uint32_t response_ms = std::min<uint32_t>(10000, interval_s * 1000 / 2);
    return {interval_s, std::max<uint32_t>(response_ms, 100)};
}

size_t build_igmp_query(const std::optional<esp::IpAddress>& source, const QueryTiming& timing,
                        std::span<uint8_t> out) {
    constexpr size_t kIpHeader = 24;  // with the router alert option
    constexpr size_t kQuery = 12;
    if (out.size() < kIpHeader + kQuery) return 0;
    uint8_t* p = out.data();
    std::memset(p, 0, kIpHeader + kQuery);
    p[0] = 0x46;
    p[1] = 0xc0;  // internetwork control
    esp::store_be16(p + 2, kIpHeader + kQuery);
    p[8] = 1;  // TTL: link-local
    p[9] = 2;  // IGMP
    if (source) std::memcpy(p + 12, source->v4_bytes(), 4);
    const uint8_t all_hosts[4] = {224, 0, 0, 1};
    std::memcpy(p + 16, all_hosts, 4);
    p[20] = 0x94;  // router alert
    p[21] = 0x04;
    esp::store_be16(p + 10, esp::internet_checksum(p, kIpHeader));
    uint8_t* q = p + kIpHeader;
    q[0] = kIgmpQuery;
    q[1] = igmp_code((timing.max_response_ms + 99) / 100);  // tenths of a second
    q[8] = kRobustness;
    q[9] = igmp_code(timing.interval_s);
    esp::store_be16(q + 2, esp::internet_checksum(q, kQuery));
    return kIpHeader + kQuery;
}

size_t build_mld_query(const esp::IpAddress& link_local, const QueryTiming& timing,
                       std::span<uint8_t> out) {
    constexpr size_t kHopByHop = 8;
    constexpr size_t kQuery = 28;
    constexpr size_t kTotal = esp::kIpv6HeaderLen + kHopByHop + kQuery;
    if (out.size() < kTotal) return 0;
    uint8_t* p = out.data();
    std::memset(p, 0, kTotal);
    p[0] = 0x60;
    esp::store_be16(p + 4, kHopByHop + kQuery);
    p[6] = 0;  // hop-by-hop options
    p[7] = 1;  // hop limit: link-local
    std::memcpy(p + 8, link_local.bytes.data(), 16);
    p[24] = 0xff;  // ff02::1, all nodes
    p[25] = 0x02;
    p[39] = 0x01;
    uint8_t* hbh = p + esp::kIpv6HeaderLen;
    const uint8_t options[kHopByHop] = {58, 0, 5, 2, 0, 0, 1, 0};  // ICMPv6; router alert; PadN
    std::memcpy(hbh, options, kHopByHop);
    uint8_t* q = hbh + kHopByHop;
    q[0] = kMldQuery;
    esp::store_be16(q + 4,
                    static_cast<uint16_t>(std::min<uint32_t>(timing.max_response_ms, 32767)));
    q[24] = kRobustness;
    q[25] = igmp_code(timing.interval_s);
    esp::store_be16(q + 2, icmpv6_checksum(p, q, kQuery));
    return kTotal;
}

esp::IpAddress link_local_address(const MacAddress& mac) {
    uint8_t bytes[16] = {0xfe, 0x80};
    bytes[8] = static_cast<uint8_t>(mac[0] ^ 0x02);
    bytes[9] = mac[1];
    bytes[10] = mac[2];
    bytes[11] = 0xff;
    bytes[12] = 0xfe;
    bytes[13] = mac[3];
    bytes[14] = mac[4];
    bytes[15] = mac[5];
    return esp::IpAddress::from_v6(bytes);
}

}  // namespace mcsec::dataplane
