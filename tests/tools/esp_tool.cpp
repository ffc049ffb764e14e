// mcsec-esp-tool: the ESP core on the command line, for interop tests against independent
// implementations (scapy, tshark). Reads one packet per line as hex on stdin and writes one
// result per line on stdout: the packet as hex, or "drop <reason>". State (sequence numbers,
// replay windows) carries over from line to line, as it would in the fast path.
//
//   mcsec-esp-tool encap|decap --key HEX --spi N --tunnel-src ADDR --tunnel-dst ADDR
//                  --red-group ADDR [--sender-id N] [--first-seq N] [--no-esn]
//                  [--backend ipsec-mb|openssl] [--replay-window N]
//
// --key is the RFC 4106 keying material: the AES key followed by the 4-byte salt.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"

using namespace mcsec;

namespace {

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "mcsec-esp-tool: " << why << "\n"
              << "usage: mcsec-esp-tool encap|decap --key HEX --spi N --tunnel-src ADDR "
                 "--tunnel-dst ADDR --red-group ADDR [--sender-id N] [--first-seq N] "
                 "[--no-esn] [--backend ipsec-mb|openssl] [--replay-window N]\n";
    std::exit(2);
}

bool parse_hex(const std::string& hex, std::vector<uint8_t>& out) {
    if (hex.size() % 2 != 0) return false;
    out.clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
        char* end = nullptr;
        const std::string byte = hex.substr(i, 2);
        const unsigned long v = std::strtoul(byte.c_str(), &end, 16);
        if (end != byte.c_str() + 2) return false;
        out.push_back(static_cast<uint8_t>(v));
    }
    return true;
}

std::string to_hex(const uint8_t* p, size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

esp::IpAddress address(const std::map<std::string, std::string>& opts, const std::string& key) {
    esp::IpAddress a;
    const auto it = opts.find(key);
    if (it == opts.end()) usage("missing --" + key);
    if (!esp::IpAddress::parse(it->second, a)) usage("bad address for --" + key);
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) usage("missing mode");
    const std::string mode = argv[1];
    if (mode != "encap" && mode != "decap") usage("mode must be encap or decap");
    std::map<std::string, std::string> opts;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0) usage("unexpected " + a);
        a = a.substr(2);
        if (a == "no-esn") {
            opts[a] = "1";
        } else if (i + 1 < argc) {
            opts[a] = argv[++i];
        } else {
            usage("missing value for --" + a);
        }
    }

    std::vector<uint8_t> keying;
    if (!parse_hex(opts["key"], keying) || (keying.size() != 20 && keying.size() != 36)) {
        usage("--key must be 20 or 36 bytes of hex (AES key || 4-byte salt)");
    }
    const auto backend = opts.count("backend") && opts["backend"] == "openssl"
                             ? crypto::Backend::OpenSsl
                             : crypto::Backend::IpsecMb;
    auto engine = crypto::make_engine(backend);

    esp::GroupSaParams params;
    params.spi = static_cast<uint32_t>(std::strtoul(opts["spi"].c_str(), nullptr, 0));
    params.algorithm =
        keying.size() == 20 ? crypto::AeadAlgorithm::AesGcm128 : crypto::AeadAlgorithm::AesGcm256;
    const size_t key_len = keying.size() - esp::kSaltLen;
    params.key = {keying.data(), key_len};
    std::copy(keying.begin() + static_cast<long>(key_len), keying.end(), params.salt.begin());
    params.esn = opts.count("no-esn") == 0;
    params.tunnel_source = address(opts, "tunnel-src");
    params.tunnel_destination = address(opts, "tunnel-dst");
    params.red_group = address(opts, "red-group");
    if (opts.count("sender-id")) {
        params.sender_id =
            static_cast<uint16_t>(std::strtoul(opts["sender-id"].c_str(), nullptr, 0));
    }
    if (opts.count("replay-window")) {
        params.replay_window =
            static_cast<uint32_t>(std::strtoul(opts["replay-window"].c_str(), nullptr, 0));
    }

    auto outbound = esp::make_outbound_sa(*engine, params);
    auto inbound = esp::make_inbound_sa(*engine, params);
    if (!outbound || !inbound) usage("could not create the SA");
    if (opts.count("first-seq")) {
        outbound->runtime->last_seq = std::strtoull(opts["first-seq"].c_str(), nullptr, 0) - 1;
    }
    esp::Sad sad(4);
    sad.add(inbound.get());
    esp::EspEncap encap(*engine);
    esp::EspDecap decap(*engine, sad);

    std::string line;
    std::vector<uint8_t> storage(256 + 65535 + 256);
    std::vector<uint8_t> bytes;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        if (!parse_hex(line, bytes) || bytes.size() > 65535) {
            std::cout << "error bad-hex\n";
            continue;
        }
        std::memcpy(storage.data() + 256, bytes.data(), bytes.size());
        esp::PacketBuffer packet(storage.data(), static_cast<uint32_t>(storage.size()), 256,
                                 static_cast<uint32_t>(bytes.size()));
        esp::PacketBuffer* pkts[1] = {&packet};
        esp::DropReason reasons[1];
        uint32_t good;
        if (mode == "encap") {
            esp::OutboundSa* sas[1] = {outbound.get()};
            good = encap.process(pkts, sas, reasons, 0);
        } else {
            esp::InboundSa* sas[1];
            good = decap.process(pkts, sas, reasons, 0);
        }
        if (good == 1) {
            std::cout << to_hex(packet.data(), packet.length()) << "\n";
        } else {
            std::cout << "drop " << esp::counter_name(reasons[0]) << "\n";
        }
    }
    return 0;
}
