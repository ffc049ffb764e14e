#include "mcsec/dataplane/packet_too_big.hpp"

#include <algorithm>
#include <cstring>

#include "mcsec/dataplane/icmpv6_checksum.hpp"
#include "mcsec/esp/byte_order.hpp"

namespace mcsec::dataplane {

namespace {

constexpr uint8_t kIcmpv6 = 58;  // next header
constexpr uint8_t kTypePacketTooBig = 2;
constexpr uint32_t kIcmpv6HeaderLen = 8;  // type, code, checksum, MTU

}  // namespace

size_t build_packet_too_big(std::span<const uint8_t> original, const esp::IpAddress& source,
                            uint32_t mtu, std::span<uint8_t> out) {
    if (original.size() < esp::kIpv6HeaderLen || (original[0] >> 4) != 6) return 0;
    const size_t quoted =
        std::min<size_t>(original.size(), kIpv6MinimumMtu - esp::kIpv6HeaderLen - kIcmpv6HeaderLen);
    const auto icmp_length = static_cast<uint32_t>(kIcmpv6HeaderLen + quoted);
    const size_t total = esp::kIpv6HeaderLen + icmp_length;
    if (out.size() < total) return 0;

    uint8_t* p = out.data();
    std::memset(p, 0, esp::kIpv6HeaderLen + kIcmpv6HeaderLen);
    p[0] = 0x60;
    esp::store_be16(p + 4, static_cast<uint16_t>(icmp_length));
    p[6] = kIcmpv6;
    p[7] = 255;  // hop limit
    std::memcpy(p + 8, source.bytes.data(), 16);
    std::memcpy(p + 24, original.data() + 8, 16);  // back to the original's source
    uint8_t* icmp = p + esp::kIpv6HeaderLen;
    icmp[0] = kTypePacketTooBig;
    esp::store_be32(icmp + 4, mtu);
    std::memcpy(icmp + kIcmpv6HeaderLen, original.data(), quoted);
    esp::store_be16(icmp + 2, icmpv6_checksum(p, icmp, icmp_length));
    return total;
}

bool ErrorRateLimit::allow(uint64_t now_ns) {
    constexpr uint64_t kScale = 1'000'000'000;
    if (!started_) {
        started_ = true;
        tokens_scaled_ = uint64_t{burst_} * kScale;
        last_ns_ = now_ns;
    }
    const uint64_t elapsed = now_ns - last_ns_;
    last_ns_ = now_ns;
    tokens_scaled_ = std::min(uint64_t{burst_} * kScale, tokens_scaled_ + elapsed * rate_);
    if (tokens_scaled_ < kScale) return false;
    tokens_scaled_ -= kScale;
    return true;
}

}  // namespace mcsec::dataplane
