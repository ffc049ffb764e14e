// libFuzzer target: ESP decapsulation of arbitrary bytes from the black side.
//
// The first input byte picks the crypto: even = real AES-GCM (IPsec-MB), so forged packets
// must die at the ICV; odd = a pass-through engine that accepts every tag and leaves bytes as
// they are, so the fuzzer can reach the checks that run only after authentication (replay
// window update, padding, next header, inner packet, inbound policy) with any bytes at all.
//
// The SAD holds real SAs for the destinations and SPIs the seed corpus uses (with and without
// ESN, IPv4 and IPv6 outer), so the fuzzer gets past the SA lookup into the replay, crypto,
// trailer, inner-packet and policy checks. The input may be split into several packets of one
// burst (a 0xff 0xfe separator) so cross-packet state (replay windows) is exercised too.
#include <cstdint>
#include <cstring>
#include <vector>

#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"

using namespace mcsec;

namespace {

class PassThroughKey final : public crypto::AeadKey {
  public:
    PassThroughKey() : AeadKey(crypto::AeadAlgorithm::AesGcm128) {}
};

class PassThroughEngine final : public crypto::AeadEngine {
  public:
    std::string_view name() const override { return "pass-through"; }
    std::unique_ptr<crypto::AeadKey> make_key(crypto::AeadAlgorithm,
                                              std::span<const uint8_t>) override {
        return std::make_unique<PassThroughKey>();
    }
    void seal(std::span<crypto::AeadOp> ops) override {
        for (auto& op : ops) op.ok = true;
    }
    void open(std::span<crypto::AeadOp> ops) override {
        for (auto& op : ops) op.ok = true;
    }
};

struct Fixture {
    explicit Fixture(std::unique_ptr<crypto::AeadEngine> e) : engine(std::move(e)) {
        static const uint8_t key[16] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
                                        0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
        add(0x1000, "239.100.1.1", "239.1.1.1", false, key);
        add(0x1001, "239.100.1.1", "239.1.1.1", true, key);
        add(0x1002, "ff3e::ff:1", "ff3e::1:2", true, key);
    }
    std::unique_ptr<crypto::AeadEngine> engine;
    std::vector<std::unique_ptr<esp::InboundSa>> sas;
    esp::Sad sad{8};
    void add(uint32_t spi, const char* tunnel_dst, const char* group, bool esn,
             const uint8_t* key) {
        esp::GroupSaParams p;
        p.spi = spi;
        p.key = {key, 16};
        p.salt = {0xca, 0xfe, 0xba, 0xbe};
        p.esn = esn;
        p.max_senders = 4;
        p.replay_window = 64;
        esp::IpAddress::parse(tunnel_dst, p.tunnel_destination);
        esp::IpAddress::parse(group, p.red_group);
        sas.push_back(esp::make_inbound_sa(*engine, p));
        sad.add(sas.back().get());
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Fixture real(crypto::make_engine(crypto::Backend::IpsecMb));
    static Fixture pass_through(std::make_unique<PassThroughEngine>());
    static esp::EspDecap real_decap(*real.engine, real.sad);
    static esp::EspDecap pass_through_decap(*pass_through.engine, pass_through.sad);
    if (size == 0) return 0;
    esp::EspDecap& decap = (data[0] & 1) ? pass_through_decap : real_decap;
    ++data;
    --size;

    // Split into up to 8 packets, each copied into its own exactly-sized heap buffer so that
    // ASan catches any read past the end.
    std::vector<std::vector<uint8_t>> storage;
    size_t start = 0;
    for (size_t i = 0; i + 1 < size && storage.size() < 7; ++i) {
        if (data[i] == 0xff && data[i + 1] == 0xfe) {
            storage.emplace_back(data + start, data + i);
            start = i + 2;
            ++i;
        }
    }
    storage.emplace_back(data + start, data + size);

    std::vector<esp::PacketBuffer> buffers;
    std::vector<esp::PacketBuffer*> pkts;
    buffers.reserve(storage.size());
    for (auto& s : storage) {
        buffers.emplace_back(s.data(), static_cast<uint32_t>(s.size()), 0,
                             static_cast<uint32_t>(s.size()));
        pkts.push_back(&buffers.back());
    }
    std::vector<esp::InboundSa*> sas(pkts.size());
    std::vector<esp::DropReason> reasons(pkts.size());
    const uint32_t good = decap.process(pkts, sas, reasons, 0);
    for (uint32_t i = 0; i < good; ++i) {
        // A delivered packet is a well-formed inner packet inside the original bytes.
        esp::IpHeaderInfo inner;
        if (esp::parse_ip_header(pkts[i]->bytes(), inner) != esp::IpParseStatus::Ok)
            __builtin_trap();
        if (inner.destination != sas[i]->red_group) __builtin_trap();
    }
    return 0;
}
