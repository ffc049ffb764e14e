#include "mcsec/esp/ip_header.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "mcsec/esp/byte_order.hpp"

namespace mcsec::esp {

namespace {
constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

IpAddress IpAddress::from_v4(const uint8_t* four_bytes) {
    IpAddress a;
    std::memcpy(a.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
    std::memcpy(a.bytes.data() + 12, four_bytes, 4);
    return a;
}

IpAddress IpAddress::from_v6(const uint8_t* sixteen_bytes) {
    IpAddress a;
    std::memcpy(a.bytes.data(), sixteen_bytes, 16);
    return a;
}

bool IpAddress::parse(std::string_view text, IpAddress& out) {
    const std::string s(text);
    uint8_t buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
        out = from_v4(buf);
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
        out = from_v6(buf);
        return true;
    }
    return false;
}

bool IpAddress::is_v4() const {
    return std::memcmp(bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

bool IpAddress::is_multicast() const {
    return is_v4() ? (bytes[12] & 0xf0) == 0xe0 : bytes[0] == 0xff;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) {
        inet_ntop(AF_INET, v4_bytes(), buf, sizeof(buf));
    } else {
        inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
    }
    return buf;
}

IpParseStatus parse_ip_header(std::span<const uint8_t> bytes, IpHeaderInfo& out) {
    if (bytes.empty()) return IpParseStatus::Truncated;
    const uint8_t* p = bytes.data();
    const uint8_t version = p[0] >> 4;
    if (version == 4) {
        if (bytes.size() < kIpv4HeaderLen) return IpParseStatus::Truncated;
        const uint32_t ihl = (p[0] & 0x0fu) * 4u;
        const uint32_t total = load_be16(p + 2);
        if (ihl < kIpv4HeaderLen || total < ihl) return IpParseStatus::Malformed;
        if (bytes.size() < total) return IpParseStatus::Truncated;
        out.family = IpFamily::V4;
        out.header_length = ihl;
        out.total_length = total;
        out.traffic_class = p[1];
        out.protocol = p[9];
        const uint16_t flags_fragment = load_be16(p + 6);
        out.is_fragment = (flags_fragment & 0x3fff) != 0;  // MF bit or a non-zero offset
        out.source = IpAddress::from_v4(p + 12);
        out.destination = IpAddress::from_v4(p + 16);
        return IpParseStatus::Ok;
    }
    if (version == 6) {
        if (bytes.size() < kIpv6HeaderLen) return IpParseStatus::Truncated;
        const uint32_t total = kIpv6HeaderLen + load_be16(p + 4);
        if (bytes.size() < total) return IpParseStatus::Truncated;
        out.family = IpFamily::V6;
        out.header_length = kIpv6HeaderLen;
        out.total_length = total;
        out.traffic_class = static_cast<uint8_t>((load_be16(p) >> 4) & 0xff);
        out.protocol = p[6];
        out.is_fragment = false;
        out.source = IpAddress::from_v6(p + 8);
        out.destination = IpAddress::from_v6(p + 24);
        return IpParseStatus::Ok;
    }
    return IpParseStatus::Malformed;
}

uint16_t internet_checksum(const uint8_t* data, uint32_t len) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i + 1 < len; i += 2) sum += load_be16(data + i);
    if (len & 1) sum += uint32_t{data[len - 1]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

}  // namespace mcsec::esp
