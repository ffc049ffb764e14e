// Minimal, bounds-checked IPv4/IPv6 header parsing for the ESP stages: just the fields that
// tunnel mode needs (family, lengths, protocol, DSCP/ECN, addresses, fragment state).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "mcsec/esp/byte_order.hpp"

namespace mcsec::esp {

enum class IpFamily : uint8_t { V4 = 4, V6 = 6 };

// An IPv4 or IPv6 address as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so that
// tables need one key type for both families.
struct alignas(16) IpAddress {
    std::array<uint8_t, 16> bytes{};

    // Both write the 16 bytes with one store: a later 16-byte load (copying the address into
    // a lookup key) forwards from it, where two narrower stores would stall it. Inline, so the
    // parsers' results stay in registers.
    static IpAddress from_v4(const uint8_t* four_bytes) {
        uint32_t v4;
        std::memcpy(&v4, four_bytes, 4);
        __extension__ using u128 = unsigned __int128;
        const u128 whole = (u128{v4} << 32 | u128{0xffff0000u}) << 64;
        IpAddress a;
        std::memcpy(a.bytes.data(), &whole, 16);
        return a;
    }
    static IpAddress from_v6(const uint8_t* sixteen_bytes) {
        IpAddress a;
        std::memcpy(a.bytes.data(), sixteen_bytes, 16);
        return a;
    }
    // Parses dotted-quad or RFC 4291 text; returns false on anything else.
    static bool parse(std::string_view text, IpAddress& out);

    bool is_v4() const;
    IpFamily family() const { return is_v4() ? IpFamily::V4 : IpFamily::V6; }
    const uint8_t* v4_bytes() const { return bytes.data() + 12; }
    bool is_multicast() const;
    std::string to_string() const;
    uint64_t high_half() const {
        uint64_t h;
        std::memcpy(&h, bytes.data(), 8);
        return h;
    }
    uint64_t low_half() const {
        uint64_t l;
        std::memcpy(&l, bytes.data() + 8, 8);
        return l;
    }
    bool operator==(const IpAddress& o) const {
        return high_half() == o.high_half() && low_half() == o.low_half();
    }
};

inline constexpr uint8_t kIpProtoIpv4 = 4;   // IP-in-IP: ESP next header for an IPv4 inner packet
inline constexpr uint8_t kIpProtoIpv6 = 41;  // ESP next header for an IPv6 inner packet
inline constexpr uint8_t kIpProtoEsp = 50;
inline constexpr uint8_t kIpProtoNoNext = 59;  // RFC 4303 dummy packet
inline constexpr uint32_t kIpv4HeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;

enum class IpParseStatus : uint8_t { Ok, Truncated, Malformed };

struct IpHeaderInfo {
    IpFamily family = IpFamily::V4;
    uint32_t header_length = 0;  // IPv4 IHL*4; IPv6 fixed 40 (extension headers not walked)
    uint32_t total_length = 0;   // from the header, checked against the bytes present
    uint8_t protocol = 0;        // IPv4 protocol / IPv6 next header
    uint8_t traffic_class = 0;   // IPv4 TOS / IPv6 traffic class: DSCP << 2 | ECN
    bool is_fragment = false;    // IPv4 MF set or offset != 0 (IPv6 fragments show as protocol 44)
    IpAddress source;
    IpAddress destination;
};

// Parses the IP header at the start of `bytes`. Bytes past total_length (link padding) are
// allowed; fewer bytes than total_length are Truncated. Inline: it runs once or twice per
// packet and most callers use only a few of the fields.
inline IpParseStatus parse_ip_header(std::span<const uint8_t> bytes, IpHeaderInfo& out) {
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

// RFC 1071 Internet checksum over `len` bytes (the IPv4 header checksum field must be zero or
// the result will verify to zero).
uint16_t internet_checksum(const uint8_t* data, uint32_t len);

}  // namespace mcsec::esp
