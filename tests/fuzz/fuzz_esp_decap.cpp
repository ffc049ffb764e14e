// libFuzzer target: ESP decapsulation of arbitrary bytes from the black side.
//
// Bit 0 of the first input byte picks the crypto: 0 = real AES-GCM (IPsec-MB), so forged
// packets must die at the ICV; 1 = a pass-through engine that accepts every tag and leaves bytes
// as they are, so the fuzzer can reach the checks that run only after authentication (replay
// window update, padding, next header, inner packet, inbound policy) with any bytes at all.
//
// The SAD holds real SAs for the destinations and SPIs the seed corpus uses (with and without
// ESN, IPv4 and IPv6 outer), so the fuzzer gets past the SA lookup into the replay, crypto,
// trailer, inner-packet and policy checks. The input may be split into several packets (a 0xff
// 0xfe separator) so cross-packet state (replay windows) is exercised too.
//
// Like the dataplane's lcores, three views (kViews) of each SA share one runtime and one block
// of sender windows (esp::ExternalRuntime), each view in its own SAD and EspDecap. The remaining
// bits of the first byte pick the view of each packet (base-3 digits, packet 0 first; from the
// fifth packet on the pattern repeats shifted); consecutive packets of one view form one burst.
// After each burst every view must find the window of every sender whose packet got through
// (issue 11: a window one lcore added was invisible to another, and decap crashed on it).
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
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

constexpr size_t kViews = 3;

// One group SA as the dataplane holds it: state in "shared memory", one view per lcore.
struct SharedSa {
    esp::InboundSaRuntime runtime;
    std::vector<uint64_t> windows;
    std::array<std::unique_ptr<esp::InboundSa>, kViews> views;
};

struct Fixture {
    explicit Fixture(std::unique_ptr<crypto::AeadEngine> e) : engine(std::move(e)) {
        static const uint8_t key[16] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
                                        0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
        for (auto& sad : sads) sad = std::make_unique<esp::Sad>(8);
        add(0x1000, "239.100.1.1", "239.1.1.1", false, key);
        add(0x1001, "239.100.1.1", "239.1.1.1", true, key);
        add(0x1002, "ff3e::ff:1", "ff3e::1:2", true, key);
        for (size_t v = 0; v < kViews; ++v)
            decaps[v] = std::make_unique<esp::EspDecap>(*engine, *sads[v]);
    }
    std::unique_ptr<crypto::AeadEngine> engine;
    std::vector<std::unique_ptr<SharedSa>> sas;
    std::array<std::unique_ptr<esp::Sad>, kViews> sads;
    std::array<std::unique_ptr<esp::EspDecap>, kViews> decaps;

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
        auto shared = std::make_unique<SharedSa>();
        shared->windows.resize(esp::SenderWindows::block_words(p.max_senders, p.replay_window));
        for (size_t v = 0; v < kViews; ++v) {
            // The first view formats the block, the others attach to it (as lcores do).
            const esp::ExternalRuntime external{nullptr, &shared->runtime, shared->windows.data(),
                                                v == 0};
            shared->views[v] = esp::make_inbound_sa(*engine, p, external);
            sads[v]->add(shared->views[v].get());
        }
        sas.push_back(std::move(shared));
    }

    const SharedSa* shared_of(const esp::InboundSa* view) const {
        for (const auto& shared : sas) {
            for (const auto& v : shared->views) {
                if (v.get() == view) return shared.get();
            }
        }
        return nullptr;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Fixture real(crypto::make_engine(crypto::Backend::IpsecMb));
    static Fixture pass_through(std::make_unique<PassThroughEngine>());
    if (size == 0) return 0;
    Fixture& fixture = (data[0] & 1) ? pass_through : real;
    const unsigned pattern = data[0] >> 1;
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

    const auto view_of = [pattern](size_t k) {
        unsigned digits = pattern;
        for (size_t d = 0; d < k % 4; ++d) digits /= kViews;
        return (digits + k / 4) % kViews;
    };
    for (size_t first = 0; first < storage.size();) {
        const size_t view = view_of(first);
        size_t end = first + 1;
        while (end < storage.size() && view_of(end) == view) ++end;

        std::vector<esp::PacketBuffer> buffers;
        std::vector<esp::PacketBuffer*> pkts;
        buffers.reserve(end - first);
        for (size_t k = first; k < end; ++k) {
            auto& s = storage[k];
            buffers.emplace_back(s.data(), static_cast<uint32_t>(s.size()), 0,
                                 static_cast<uint32_t>(s.size()));
            pkts.push_back(&buffers.back());
        }
        // Each packet's sender ID (the IV's first 16 bits) before decap rewrites any bytes.
        std::vector<int> senders;
        for (size_t k = first; k < end; ++k) {
            const auto& bytes = storage[k];
            esp::IpHeaderInfo outer;
            const bool ok = esp::parse_ip_header({bytes.data(), bytes.size()}, outer) ==
                                esp::IpParseStatus::Ok &&
                            bytes.size() >= outer.header_length + 10;
            senders.push_back(
                ok ? bytes[outer.header_length + 8] << 8 | bytes[outer.header_length + 9] : -1);
        }
        std::vector<esp::InboundSa*> sas(pkts.size());
        std::vector<esp::DropReason> reasons(pkts.size());
        const uint32_t good = fixture.decaps[view]->process(pkts, sas, reasons, 0);
        for (uint32_t i = 0; i < good; ++i) {
            // A delivered packet is a well-formed inner packet inside the original bytes.
            esp::IpHeaderInfo inner;
            if (esp::parse_ip_header(pkts[i]->bytes(), inner) != esp::IpParseStatus::Ok)
                __builtin_trap();
            if (inner.destination != sas[i]->red_group) __builtin_trap();
        }
        // Every view of an SA sees every sender window any view has added: compare the views'
        // windows for every sender ID (the block is small: max_senders 4).
        for (const auto& shared : fixture.sas) {
            const uint32_t count = shared->views[0]->senders.count();
            for (const auto& v : shared->views) {
                if (v->senders.count() != count) __builtin_trap();
            }
        }
        for (uint32_t i = 0; i < good; ++i) {
            const auto k = static_cast<size_t>(pkts[i] - buffers.data());  // pkts may be compacted
            if (senders[k] < 0) __builtin_trap();  // delivered, yet no ESP header?
            const SharedSa* shared = fixture.shared_of(sas[i]);
            if (shared == nullptr) __builtin_trap();
            for (const auto& v : shared->views) {
                if (!v->senders.find(static_cast<uint16_t>(senders[k])).valid()) __builtin_trap();
            }
        }
        first = end;
    }
    return 0;
}
