// Lookup cost against table size: ESP decap through the shared-memory SAD and a per-lcore
// SaCache. Target (issue 3): throughput with 1 SA vs 65,536 SAs within 10%.
//
//   DecapSharedSad/<table SAs>/<active SAs>/<size>
//       The table holds <table SAs>; traffic is spread over <active SAs> of them (spread over
//       the whole table). 1 vs 65,536 table SAs with the same active set isolates the table's
//       lookup cost; 65,536 active SAs (every packet on another SA) adds the per-SA working set
//       (key schedules, runtime state), which no table design avoids.
//   Replay check off (the same 1024 packets cycle); the per-burst restore copy is included.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "mcsec/dataplane/sa_cache.hpp"
#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"

using namespace mcsec;

namespace {

constexpr uint32_t kBurst = 32;
constexpr uint32_t kPool = 1024;
constexpr uint32_t kHeadroom = 128;
constexpr uint32_t kBufferSize = 2048;

struct Fixture {
    std::string instance;
    std::unique_ptr<shm::Region> region;
    std::unique_ptr<crypto::AeadEngine> engine = crypto::make_engine(crypto::Backend::IpsecMb);
    std::vector<std::vector<uint8_t>> packets;  // kPool ESP packets

    Fixture(uint32_t sas, uint32_t active, uint32_t size) {
        instance = "bench-tbl-" + std::to_string(getpid()) + "-" + std::to_string(sas);
        shm::Region::remove(instance);
        shm::Geometry g;
        g.sa_slots = sas;
        g.spd_entries = 64;
        g.max_senders = 1;
        g.replay_window = 64;
        g.lcores = 1;
        std::string error;
        region = shm::Region::create(instance, g, error);
        auto writer_role = shm::SaTableWriter::acquire(*region, error);
        if (!writer_role) std::abort();
        shm::SaTableWriter& writer = *writer_role;
        std::vector<uint8_t> key(16);
        esp::IpAddress tunnel, group, source;
        esp::IpAddress::parse("239.255.1.1", tunnel);
        esp::IpAddress::parse("239.1.1.1", group);
        esp::IpAddress::parse("192.0.2.1", source);
        for (uint32_t i = 0; i < sas; ++i) {
            esp::store_be32(key.data(), i);
            shm::SaSpec s;
            s.spi = 0x10000 + i;
            s.key = key;
            s.replay_check = false;
            s.esn = false;
            s.max_senders = 1;
            s.replay_window = 64;
            s.tunnel_source = source;
            s.tunnel_destination = tunnel;
            s.red_group = group;
            const auto slot = writer.add_sa(s, error);
            if (!slot) std::abort();
            // No nonce ledger in this benchmark: every number is usable (the dataplane's
            // SeqReserver would publish blocks of them).
            region->runtime(*slot).outbound.seq_limit = esp::kNoSeqLimit;
        }
        // Encrypt the pool: packet j on active SA (j mod active), the active SAs spread evenly
        // over the table.
        dataplane::SaCache cache(*region, *engine);
        esp::EspEncap encap(*engine);
        std::vector<uint8_t> inner(size, 0xab);
        inner[0] = 0x45;
        esp::store_be16(&inner[2], static_cast<uint16_t>(size));
        inner[8] = 64;
        inner[9] = 17;
        std::copy(group.v4_bytes(), group.v4_bytes() + 4, &inner[16]);
        std::vector<uint8_t> buf(kBufferSize);
        for (uint32_t j = 0; j < kPool; ++j) {
            const uint32_t slot =
                static_cast<uint32_t>((uint64_t{(j * 40503u) % active} * sas / active) % sas);
            std::memcpy(buf.data() + kHeadroom, inner.data(), size);
            esp::PacketBuffer p(buf.data(), kBufferSize, kHeadroom, size);
            esp::PacketBuffer* pkts[1] = {&p};
            // Sent as another appliance would: with our own sender ID, decap would drop every
            // packet as own_sender_id.
            esp::OutboundSa* sender = cache.outbound(slot);
            sender->sender_id = 2;
            esp::OutboundSa* osas[1] = {sender};
            esp::DropReason reasons[1];
            if (encap.process(pkts, osas, reasons, 0) != 1) std::abort();
            packets.emplace_back(p.data(), p.data() + p.length());
        }
    }
    ~Fixture() { shm::Region::remove(instance); }
};

void DecapSharedSad(benchmark::State& state) {
    const auto sas = static_cast<uint32_t>(state.range(0));
    const auto active = static_cast<uint32_t>(state.range(1));
    const auto size = static_cast<uint32_t>(state.range(2));
    Fixture f(sas, active, size);
    shm::SaTableReader reader(*f.region);
    dataplane::SaCache cache(*f.region, *f.engine);
    dataplane::ShmInboundLookup lookup(reader, cache);
    esp::EspDecap decap(*f.engine, lookup);
    // Warm the key-schedule cache: an lcore builds each schedule once, not per packet.
    for (uint32_t s = 0; s < sas; ++s) cache.inbound(s);

    std::vector<std::array<uint8_t, kBufferSize>> storage(kBurst);
    std::array<esp::PacketBuffer, kBurst> buffers;
    std::array<esp::PacketBuffer*, kBurst> pkts;
    std::array<esp::InboundSa*, kBurst> in_sas;
    std::array<esp::DropReason, kBurst> reasons;
    uint32_t next = 0;
    for (auto _ : state) {
        for (uint32_t i = 0; i < kBurst; ++i) {
            const auto& src = f.packets[next++ % kPool];
            std::memcpy(storage[i].data() + kHeadroom, src.data(), src.size());
            buffers[i] = esp::PacketBuffer(storage[i].data(), kBufferSize, kHeadroom,
                                           static_cast<uint32_t>(src.size()));
            pkts[i] = &buffers[i];
        }
        if (decap.process(pkts, in_sas, reasons, 0) != kBurst) state.SkipWithError("drops");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
}

}  // namespace

BENCHMARK(DecapSharedSad)
    ->Args({1, 1, 64})
    ->Args({65536, 1, 64})
    ->Args({32, 32, 64})
    ->Args({65536, 32, 64})
    ->Args({65536, 65536, 64})
    ->Args({1, 1, 1420})
    ->Args({65536, 1, 1420})
    ->Args({32, 32, 1420})
    ->Args({65536, 32, 1420})
    ->Args({65536, 65536, 1420});
BENCHMARK_MAIN();
