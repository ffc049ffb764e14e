// Helpers for the ESP unit tests: hex conversion, inner packets, and buffers with headroom.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mcsec/esp/ip_header.hpp"
#include "mcsec/esp/packet_buffer.hpp"
#include "mcsec/esp/security_association.hpp"

namespace mcsec::test {

std::vector<uint8_t> from_hex(std::string_view hex);
std::string to_hex(const uint8_t* data, size_t len);
inline std::string to_hex(const std::vector<uint8_t>& v) {
    return to_hex(v.data(), v.size());
}

esp::IpAddress ip(std::string_view text);

// An IPv4 or IPv6 UDP packet (checksum zero for IPv4, computed for IPv6 is not needed by ESP)
// from src to dst with `payload_length` bytes of a recognisable pattern.
std::vector<uint8_t> udp_packet(std::string_view src, std::string_view dst, size_t payload_length,
                                uint8_t traffic_class = 0, uint8_t ttl = 64);

// A packet in a buffer with room around it, like an mbuf.
class TestPacket {
  public:
    explicit TestPacket(const std::vector<uint8_t>& bytes, uint32_t headroom = 128,
                        uint32_t tailroom = 128);
    esp::PacketBuffer& buffer() { return buffer_; }
    esp::PacketBuffer* ptr() { return &buffer_; }
    std::vector<uint8_t> bytes() const {
        return {buffer_.data(), buffer_.data() + buffer_.length()};
    }

  private:
    std::vector<uint8_t> storage_;
    esp::PacketBuffer buffer_;
};

// Group SA parameters for tests; the key vector must outlive the params.
esp::GroupSaParams sa_params(const std::vector<uint8_t>& key, std::string_view red_group,
                             std::string_view tunnel_dst, std::string_view tunnel_src,
                             uint32_t spi = 0x1000);

}  // namespace mcsec::test
