// mcsec-key-probe: which ESP packets could this appliance decrypt with the keys it holds? A test
// oracle for "a removed member cannot decrypt": it tries every key in an instance's
// shared-memory SA table on each packet, whatever the packet's SPI says (the SPI only picks a
// key; the question is whether the old key itself still works). Keys never leave the process:
// it prints, per packet, how many held keys authenticate it.
//
//   mcsec-key-probe --instance NAME < packets     (one outer IP packet as hex per line)
//
// Output: one line per packet, "authenticated N" (N of the held keys verified its ICV and
// decrypted it) or "error REASON". Needs the region's owner (root), like the dataplane.
#include <array>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/sad.hpp"
#include "mcsec/shm/region.hpp"
#include "mcsec/shm/sa_table.hpp"

using namespace mcsec;

namespace {

bool parse_hex(const std::string& hex, std::vector<uint8_t>& out) {
    if (hex.size() % 2 != 0) return false;
    out.clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        if (std::sscanf(hex.c_str() + i, "%2x", &v) != 1) return false;
        out.push_back(static_cast<uint8_t>(v));
    }
    return true;
}

// The SPI and outer destination of an IPv4 or IPv6 ESP packet, for the SAD lookup.
bool esp_fields(const std::vector<uint8_t>& p, uint32_t& spi, esp::IpAddress& destination) {
    size_t esp_offset = 0;
    if (p.size() >= 20 && (p[0] >> 4) == 4 && p[9] == 50) {
        esp_offset = (p[0] & 0x0f) * 4u;
        destination = esp::IpAddress::from_v4(p.data() + 16);
    } else if (p.size() >= 40 && (p[0] >> 4) == 6 && p[6] == 50) {
        esp_offset = 40;
        destination = esp::IpAddress::from_v6(p.data() + 24);
    } else {
        return false;
    }
    if (p.size() < esp_offset + 8) return false;
    spi = uint32_t{p[esp_offset]} << 24 | p[esp_offset + 1] << 16 | p[esp_offset + 2] << 8 |
          p[esp_offset + 3];
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || std::string(argv[1]) != "--instance") {
        std::cerr << "usage: mcsec-key-probe --instance NAME < packets (hex, one per line)\n";
        return 2;
    }
    std::string error;
    auto region = shm::Region::attach(argv[2], error);
    if (!region) {
        std::cerr << "mcsec-key-probe: " << error << "\n";
        return 1;
    }
    // The keys held: every published slot (active, or retired but not yet reclaimed).
    std::vector<uint32_t> slots;
    for (uint32_t s = 0; s < region->geometry().sa_slots; ++s) {
        const auto state = region->control(s).state.load(std::memory_order_acquire);
        if (state != static_cast<uint32_t>(shm::SlotState::Free)) slots.push_back(s);
    }
    auto engine = crypto::make_engine(crypto::Backend::OpenSsl);
    std::string line;
    std::vector<uint8_t> bytes;
    std::vector<uint8_t> storage(256 + 65535 + 256);
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        uint32_t spi = 0;
        esp::IpAddress destination;
        if (!parse_hex(line, bytes) || bytes.size() > 65535 ||
            !esp_fields(bytes, spi, destination)) {
            std::cout << "error not-an-esp-packet\n";
            continue;
        }
        unsigned authenticated = 0;
        for (const uint32_t slot : slots) {
            std::array<uint8_t, 32> key{};
            esp::GroupSaParams params = shm::params_from_control(region->control(slot), key);
            params.spi = spi;  // the held key, under the packet's own SPI
            params.tunnel_destination = destination;
            params.replay_check = false;
            auto inbound = esp::make_inbound_sa(*engine, params);
            std::memset(key.data(), 0, key.size());
            if (!inbound) continue;
            esp::Sad sad(4);
            sad.add(inbound.get());
            esp::EspDecap decap(*engine, sad);
            std::memcpy(storage.data() + 256, bytes.data(), bytes.size());
            esp::PacketBuffer packet(storage.data(), static_cast<uint32_t>(storage.size()), 256,
                                     static_cast<uint32_t>(bytes.size()));
            esp::PacketBuffer* packets[1] = {&packet};
            esp::InboundSa* sas[1];
            esp::DropReason reasons[1];
            if (decap.process(packets, sas, reasons, 0) == 1) ++authenticated;
        }
        std::cout << "authenticated " << authenticated << "\n";
    }
    return 0;
}
