#include "mcsec/esp/ip_header.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "mcsec/esp/byte_order.hpp"

namespace mcsec::esp {

namespace {
constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
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

uint16_t internet_checksum(const uint8_t* data, uint32_t len) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i + 1 < len; i += 2) sum += load_be16(data + i);
    if (len & 1) sum += uint32_t{data[len - 1]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

}  // namespace mcsec::esp
