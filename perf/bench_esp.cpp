// ESP encap/decap throughput on one core against raw IPsec-MB AES-GCM on the same buffers,
// measured in the same run so the ratio is meaningful on a noisy machine.
//
//   RawGcm/<size>        IMB_AES128_GCM_ENC, direct API, one packet per call, a fresh nonce and
//                        AAD per packet written the fastest way (one 16-byte store each, as the
//                        ESP stages do): the crypto floor ESP is measured against
//   RawGcmBurst/<size>   the same through IPsec-MB's burst job API, 32 jobs per call
//   RawGcmDecrypt/<size> IMB_AES128_GCM_DEC, direct API, fresh nonce per packet, on buffers
//                        restored before each burst exactly as EspDecap's are (same cache
//                        state): the floor for decap (the tag is computed, not compared)
//   Restore/<size>       the memcpy that puts a burst of ESP packets back before each decap
//                        iteration (decap works in place); subtracted from both EspDecap and
//                        RawGcmDecrypt by perf/run_esp_bench.sh
//   EspEncap/<size>      mcsec ESP tunnel encap (parse, SA, headers, trailer, crypto burst)
//   EspDecap/<size>      mcsec ESP tunnel decap (parse, SAD, replay, crypto, checks, strip)
//   ReplayWindow/<size>  check + update of one per-sender window (size = window bits), in order
//                        with 1 in 8 packets arriving late: the replay check's own cost, which
//                        EspDecap (replaying one captured burst) has switched off
//
// <size> is the inner IPv4/UDP packet in bytes. Each iteration handles a burst of 32 packets.
// ESP benchmarks restore each packet's bytes before every burst (the stages work in place);
// that copy is charged to ESP, not to the raw baseline, so the ratios are conservative.
#include <benchmark/benchmark.h>
#include <intel-ipsec-mb.h>

#include <array>
#include <cstring>
#include <vector>

#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "mcsec/esp/gcm_nonce.hpp"

using namespace mcsec;

namespace {

constexpr uint32_t kBurst = 32;
constexpr uint32_t kHeadroom = 128;
constexpr uint32_t kBufferSize = 2048;
const uint8_t kKey[16] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
                          0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};

std::vector<uint8_t> inner_packet(uint32_t size) {
    std::vector<uint8_t> p(size, 0xab);
    p[0] = 0x45;
    esp::store_be16(&p[2], static_cast<uint16_t>(size));
    p[8] = 64;
    p[9] = 17;
    const uint8_t src[4] = {10, 1, 0, 1}, dst[4] = {239, 1, 1, 1};
    std::memcpy(&p[12], src, 4);
    std::memcpy(&p[16], dst, 4);
    esp::store_be16(&p[10], esp::internet_checksum(p.data(), 20));
    return p;
}

esp::GroupSaParams params() {
    esp::GroupSaParams p;
    p.spi = 0x1000;
    p.key = {kKey, 16};
    p.salt = {0xca, 0xfe, 0xba, 0xbe};
    esp::IpAddress::parse("239.1.1.1", p.red_group);
    esp::IpAddress::parse("239.100.1.1", p.tunnel_destination);
    esp::IpAddress::parse("192.0.2.1", p.tunnel_source);
    p.sender_id = 1;
    return p;
}

struct Burst {
    std::vector<std::array<uint8_t, kBufferSize>> storage =
        std::vector<std::array<uint8_t, kBufferSize>>(kBurst);
    std::array<esp::PacketBuffer, kBurst> buffers;
    std::array<esp::PacketBuffer*, kBurst> pkts{};
    std::array<esp::DropReason, kBurst> reasons{};

    void load(const std::vector<uint8_t>& bytes, uint32_t index) {
        std::memcpy(storage[index].data() + kHeadroom, bytes.data(), bytes.size());
        buffers[index] = esp::PacketBuffer(storage[index].data(), kBufferSize, kHeadroom,
                                           static_cast<uint32_t>(bytes.size()));
        pkts[index] = &buffers[index];
    }
};

void set_counters(benchmark::State& state, uint32_t size) {
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBurst * size);
}

void RawGcm(benchmark::State& state) {
    const auto size = static_cast<uint32_t>(state.range(0));
    IMB_MGR* mgr = alloc_mb_mgr(0);
    init_mb_mgr_auto(mgr, nullptr);
    alignas(64) gcm_key_data key;
    IMB_AES128_GCM_PRE(mgr, kKey, &key);
    gcm_context_data ctx;
    Burst burst;
    const auto inner = inner_packet(size);
    for (uint32_t i = 0; i < kBurst; ++i) burst.load(inner, i);
    const uint8_t salt[4] = {0xca, 0xfe, 0xba, 0xbe};
    esp::GcmInputs gcm;
    uint8_t tag[16];
    uint64_t seq = 0;
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) {
            ++seq;
            esp::write_nonce(gcm.nonce, esp::load_salt(salt), seq);
            esp::write_aad(gcm.aad, 0x1000, static_cast<uint32_t>(seq), 0);
            uint8_t* data = burst.storage[i].data() + kHeadroom;
            IMB_AES128_GCM_ENC(mgr, &key, &ctx, data, data, size, gcm.nonce, gcm.aad, 8, tag, 16);
        }
        benchmark::DoNotOptimize(tag);
    }
    set_counters(state, size);
    free_mb_mgr(mgr);
}

void RawGcmDecrypt(benchmark::State& state) {
    const auto size = static_cast<uint32_t>(state.range(0));
    IMB_MGR* mgr = alloc_mb_mgr(0);
    init_mb_mgr_auto(mgr, nullptr);
    alignas(64) gcm_key_data key;
    IMB_AES128_GCM_PRE(mgr, kKey, &key);
    gcm_context_data ctx;
    Burst burst;
    // Same bytes per buffer as EspDecap restores (the ESP packet is 54 bytes longer), from 32
    // distinct sources as there.
    const std::vector<std::vector<uint8_t>> packets(kBurst, std::vector<uint8_t>(size + 54, 0x5a));
    esp::GcmInputs gcm;
    uint8_t tag[16];
    uint64_t seq = 0;
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) burst.load(packets[i], i);
        for (uint32_t i = 0; i < kBurst; ++i) {
            ++seq;
            esp::write_nonce(gcm.nonce, 0xbebafeca, seq);
            esp::write_aad(gcm.aad, 0x1000, static_cast<uint32_t>(seq), 0);
            uint8_t* data = burst.storage[i].data() + kHeadroom + 36;  // past outer IP, ESP, IV
            IMB_AES128_GCM_DEC(mgr, &key, &ctx, data, data, size, gcm.nonce, gcm.aad, 8, tag, 16);
        }
        benchmark::DoNotOptimize(tag);
    }
    set_counters(state, size);
    free_mb_mgr(mgr);
}

// The per-iteration copy EspDecap needs to restore its input; measured alone so that it can be
// subtracted from EspDecap. ESP adds 54 bytes (outer IPv4, ESP header, IV, trailer, ICV).
void Restore(benchmark::State& state) {
    const auto size = static_cast<uint32_t>(state.range(0));
    Burst burst;
    const std::vector<std::vector<uint8_t>> packets(kBurst, std::vector<uint8_t>(size + 54, 0x5a));
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) burst.load(packets[i], i);
        benchmark::DoNotOptimize(burst.storage[0].data());
    }
    set_counters(state, size);
}

void RawGcmBurst(benchmark::State& state) {
    const auto size = static_cast<uint32_t>(state.range(0));
    auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    auto key = engine->make_key(crypto::AeadAlgorithm::AesGcm128, {kKey, 16});
    Burst burst;
    const auto inner = inner_packet(size);
    for (uint32_t i = 0; i < kBurst; ++i) burst.load(inner, i);
    std::array<esp::GcmInputs, kBurst> gcm{};
    std::array<std::array<uint8_t, 16>, kBurst> tags{};
    std::array<crypto::AeadOp, kBurst> ops;
    uint64_t seq = 0;
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) {
            ++seq;
            esp::write_nonce(gcm[i].nonce, 0xbebafeca, seq);
            esp::write_aad(gcm[i].aad, 0x1000, static_cast<uint32_t>(seq), 0);
            ops[i] = {key.get(), gcm[i].nonce,  gcm[i].aad, 8, burst.storage[i].data() + kHeadroom,
                      size,      tags[i].data()};
        }
        engine->seal(ops);
        benchmark::DoNotOptimize(ops);
    }
    set_counters(state, size);
}

void EspEncap(benchmark::State& state) {
    const auto size = static_cast<uint32_t>(state.range(0));
    auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    auto sa = esp::make_outbound_sa(*engine, params());
    esp::EspEncap encap(*engine);
    Burst burst;
    const auto inner = inner_packet(size);
    std::array<esp::OutboundSa*, kBurst> sas;
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) {
            // Restore the inner header (the payload may stay ciphertext: GCM cost is the same).
            std::memcpy(burst.storage[i].data() + kHeadroom, inner.data(), 20);
            burst.buffers[i] =
                esp::PacketBuffer(burst.storage[i].data(), kBufferSize, kHeadroom, size);
            burst.pkts[i] = &burst.buffers[i];
            sas[i] = sa.get();
        }
        const uint32_t good = encap.process(burst.pkts, sas, burst.reasons, 0);
        if (good != kBurst) state.SkipWithError("encap dropped packets");
    }
    set_counters(state, size);
}

void EspDecap(benchmark::State& state) {
    const auto size = static_cast<uint32_t>(state.range(0));
    auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    auto p = params();
    p.replay_check = false;  // the same burst is replayed every iteration
    auto out_sa = esp::make_outbound_sa(*engine, p);
    auto in_sa = esp::make_inbound_sa(*engine, p);
    esp::Sad sad(16);
    sad.add(in_sa.get());
    esp::EspEncap encap(*engine);
    esp::EspDecap decap(*engine, sad);
    Burst burst;
    const auto inner = inner_packet(size);

    // Build one burst of ESP packets; every iteration restores and decapsulates it.
    std::vector<std::vector<uint8_t>> encrypted(kBurst);
    for (uint32_t i = 0; i < kBurst; ++i) {
        burst.load(inner, i);
        esp::OutboundSa* sas[1] = {out_sa.get()};
        esp::PacketBuffer* one[1] = {burst.pkts[i]};
        esp::DropReason reasons[1];
        encap.process(one, sas, reasons, 0);
        encrypted[i].assign(burst.pkts[i]->data(), burst.pkts[i]->data() + burst.pkts[i]->length());
    }
    std::array<esp::InboundSa*, kBurst> sas;
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) burst.load(encrypted[i], i);
        const uint32_t good = decap.process(burst.pkts, sas, burst.reasons, 0);
        if (good != kBurst) state.SkipWithError("decap dropped packets");
    }
    set_counters(state, size);
}

void ReplayWindow(benchmark::State& state) {
    esp::LocalReplayWindow window(static_cast<uint32_t>(state.range(0)));
    uint64_t seq = 0;
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) {
            ++seq;
            // Packets 5 and 8 of every 8 swap places: exercises the in-window (late) path.
            const uint64_t s = (seq % 8 == 0) ? seq - 3 : (seq % 8 == 5 ? seq + 3 : seq);
            if (window->check(s)) benchmark::DoNotOptimize(window->update(s));
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
}

void sizes(benchmark::internal::Benchmark* b) {
    for (int s : {64, 128, 256, 512, 1024, 1420}) b->Arg(s);
}

}  // namespace

BENCHMARK(RawGcm)->Apply(sizes);
BENCHMARK(RawGcmBurst)->Apply(sizes);
BENCHMARK(RawGcmDecrypt)->Apply(sizes);
BENCHMARK(Restore)->Apply(sizes);
BENCHMARK(EspEncap)->Apply(sizes);
BENCHMARK(EspDecap)->Apply(sizes);
BENCHMARK(ReplayWindow)->Arg(64)->Arg(1024)->Arg(4096);

BENCHMARK_MAIN();
