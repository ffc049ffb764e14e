// Minimal, bounds-checked IPv4/IPv6 header parsing for the ESP stages: just the fields that
// tunnel mode needs (family, lengths, protocol, DSCP/ECN, addresses, fragment state).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace mcsec::esp {

enum class IpFamily : uint8_t { V4 = 4, V6 = 6 };

// An IPv4 or IPv6 address as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so that
// tables need one key type for both families.
struct IpAddress {
    std::array<uint8_t, 16> bytes{};

    static IpAddress from_v4(const uint8_t* four_bytes);
    static IpAddress from_v6(const uint8_t* sixteen_bytes);
    // Parses dotted-quad or RFC 4291 text; returns false on anything else.
    static bool parse(std::string_view text, IpAddress& out);

    bool is_v4() const;
    IpFamily family() const { return is_v4() ? IpFamily::V4 : IpFamily::V6; }
    const uint8_t* v4_bytes() const { return bytes.data() + 12; }
    bool is_multicast() const;
    std::string to_string() const;
    bool operator==(const IpAddress&) const = default;
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
// allowed; fewer bytes than total_length are Truncated.
IpParseStatus parse_ip_header(std::span<const uint8_t> bytes, IpHeaderInfo& out);

// RFC 1071 Internet checksum over `len` bytes (the IPv4 header checksum field must be zero or
// the result will verify to zero).
uint16_t internet_checksum(const uint8_t* data, uint32_t len);

}  // namespace mcsec::esp
