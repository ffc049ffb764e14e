#include "test_packets.hpp"

#include <stdexcept>

#include "mcsec/esp/byte_order.hpp"

namespace mcsec::test {

std::vector<uint8_t> from_hex(std::string_view hex) {
    std::vector<uint8_t> out;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument("bad hex");
    };
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

std::string to_hex(const uint8_t* data, size_t len) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < len; ++i) {
        s += digits[data[i] >> 4];
        s += digits[data[i] & 15];
    }
    return s;
}

esp::IpAddress ip(std::string_view text) {
    esp::IpAddress a;
    if (!esp::IpAddress::parse(text, a)) throw std::invalid_argument(std::string(text));
    return a;
}

std::vector<uint8_t> udp_packet(std::string_view src, std::string_view dst, size_t payload_length,
                                uint8_t traffic_class, uint8_t ttl) {
    const esp::IpAddress s = ip(src), d = ip(dst);
    std::vector<uint8_t> p;
    const size_t udp_length = 8 + payload_length;
    if (s.is_v4()) {
        p.resize(20 + udp_length);
        p[0] = 0x45;
        p[1] = traffic_class;
        esp::store_be16(&p[2], static_cast<uint16_t>(p.size()));
        p[8] = ttl;
        p[9] = 17;
        std::copy(s.v4_bytes(), s.v4_bytes() + 4, &p[12]);
        std::copy(d.v4_bytes(), d.v4_bytes() + 4, &p[16]);
        esp::store_be16(&p[10], esp::internet_checksum(p.data(), 20));
    } else {
        p.resize(40 + udp_length);
        esp::store_be32(&p[0], 0x60000000u | uint32_t{traffic_class} << 20);
        esp::store_be16(&p[4], static_cast<uint16_t>(udp_length));
        p[6] = 17;
        p[7] = ttl;
        std::copy(s.bytes.begin(), s.bytes.end(), &p[8]);
        std::copy(d.bytes.begin(), d.bytes.end(), &p[24]);
    }
    uint8_t* udp = &p[p.size() - udp_length];
    esp::store_be16(udp, 40000);
    esp::store_be16(udp + 2, 40001);
    esp::store_be16(udp + 4, static_cast<uint16_t>(udp_length));
    for (size_t i = 0; i < payload_length; ++i) udp[8 + i] = static_cast<uint8_t>(i * 7 + 3);
    return p;
}

TestPacket::TestPacket(const std::vector<uint8_t>& bytes, uint32_t headroom, uint32_t tailroom)
    : storage_(headroom + bytes.size() + tailroom) {
    std::copy(bytes.begin(), bytes.end(), storage_.begin() + headroom);
    buffer_ = esp::PacketBuffer(storage_.data(), static_cast<uint32_t>(storage_.size()), headroom,
                                static_cast<uint32_t>(bytes.size()));
}

esp::GroupSaParams sa_params(const std::vector<uint8_t>& key, std::string_view red_group,
                             std::string_view tunnel_dst, std::string_view tunnel_src,
                             uint32_t spi) {
    esp::GroupSaParams p;
    p.spi = spi;
    p.algorithm =
        key.size() == 16 ? crypto::AeadAlgorithm::AesGcm128 : crypto::AeadAlgorithm::AesGcm256;
    p.key = key;
    p.salt = {0xca, 0xfe, 0xba, 0xbe};
    p.red_group = ip(red_group);
    p.tunnel_destination = ip(tunnel_dst);
    p.tunnel_source = ip(tunnel_src);
    return p;
}

}  // namespace mcsec::test
