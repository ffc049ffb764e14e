// Outbound SPD lookup cost against the number of source-prefix entries per group (issue 11):
// the shared-memory SPD probes one index entry per prefix length a group uses, so the cost
// should not grow with the number of entries or of groups.
//
//   SpdFindPolicy/<entries>/<groups>/<lengths>
//       SaTableReader::find_policy for 1024 precomputed (group, source) pairs in turn.
//   SpdClassify/<entries>/<groups>/<lengths>
//       OutboundPolicy::classify (the dataplane's per-packet call: lookup, action, SA from the
//       lcore's SaCache) on parsed headers, begin_burst() every 32, and no two consecutive
//       packets with the same (group, source), so the per-burst memo never answers.
//
//   <entries>  source-prefix entries per group: 1, 100, 10,000
//   <groups>   red groups in the table (each with <entries>)
//   <lengths>  distinct prefix lengths a group uses: 1 (all /24), or 4 (any source, /16, /24,
//              /32, the /32s inside /24s): the lookup probes up to that many entries
//
// Each source lies inside a random entry of its group (any bits past the prefix random), so
// lookups hit at every length. Actions cycle PROTECT (on one of 8 SAs), BYPASS, DISCARD.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <stdexcept>

#include <random>
#include <vector>

#include "mcsec/dataplane/outbound_policy.hpp"
#include "mcsec/dataplane/sa_cache.hpp"

using namespace mcsec;

namespace {

constexpr uint32_t kPool = 1024;
constexpr uint32_t kBurst = 32;
constexpr uint32_t kSas = 8;

esp::IpAddress v4(uint32_t a) {
    const uint8_t b[4] = {static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16),
                          static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)};
    return esp::IpAddress::from_v4(b);
}

struct Entry {
    uint32_t network;  // IPv4, host order
    uint8_t length;    // IPv4 bits (0..32)
};

// Entry `e` of a group with `entries` entries over `lengths` lengths.
Entry entry_of(uint32_t e, uint32_t lengths) {
    if (lengths == 1) return {0x0a000000u | e << 8, 24};  // 10.x.y.0/24
    if (e == 0) return {0, 0};                            // any source
    const uint32_t k = (e - 1) / 3;
    switch ((e - 1) % 3) {
        case 0:
            return {(11u + (k >> 8)) << 24 | (k & 0xff) << 16, 16};  // 11+.x.0.0/16
        case 1:
            return {0x0a000000u | k << 8, 24};  // 10.x.y.0/24
        default:
            return {0x0a000000u | k << 8 | 77u, 32};  // 10.x.y.77, inside the /24
    }
}

struct Fixture {
    std::string instance;
    std::unique_ptr<shm::Region> region;
    std::unique_ptr<crypto::AeadEngine> engine = crypto::make_engine(crypto::Backend::IpsecMb);
    std::vector<esp::IpHeaderInfo> packets;  // kPool (group, source) pairs

    Fixture(uint32_t entries, uint32_t groups, uint32_t lengths) {
        instance = "bench-spd-" + std::to_string(getpid());
        shm::Region::remove(instance);
        shm::Geometry g;
        g.sa_slots = kSas;
        g.spd_entries = groups * (entries + 1) * 2;  // as region_geometry sizes it
        g.max_senders = 1;
        g.replay_window = 64;
        g.lcores = 1;
        std::string error;
        region = shm::Region::create(instance, g, error);
        if (!region) std::abort();
        std::string writer_error;
        auto writer_role = shm::SaTableWriter::acquire(*region, writer_error);
        if (!writer_role) throw std::runtime_error(writer_error);
        shm::SaTableWriter& writer = *writer_role;
        std::vector<uint8_t> key(16, 0x5a);
        for (uint32_t i = 0; i < kSas; ++i) {
            shm::SaSpec s;
            s.spi = 0x1000 + i;
            key[0] = static_cast<uint8_t>(i);  // one nonce space per SA (the writer insists)
            key[1] = static_cast<uint8_t>(i >> 8);
            s.key = key;
            s.max_senders = 1;
            s.replay_window = 64;
            s.tunnel_source = v4(0xc0000201);
            s.tunnel_destination = v4(0xefff0000 + i);
            s.red_group = v4(0xef010000);
            if (!writer.add_sa(s, error)) std::abort();
        }
        for (uint32_t grp = 0; grp < groups; ++grp) {
            const esp::IpAddress group = v4(0xef010000 + grp);  // 239.1.x.y
            for (uint32_t e = 0; e < entries; ++e) {
                const Entry en = entry_of(e, lengths);
                const auto action = static_cast<shm::PolicyAction>((e + grp) % 3);
                std::optional<esp::SourcePrefix> source;
                if (en.length > 0) {
                    source =
                        esp::SourcePrefix{v4(en.network), static_cast<uint8_t>(96 + en.length)};
                }
                if (!writer.set_policy(group, source, action, (e + grp) % kSas)) std::abort();
            }
        }
        std::mt19937_64 rng(1);
        while (packets.size() < kPool) {
            esp::IpHeaderInfo ip;
            const uint32_t grp = static_cast<uint32_t>(rng() % groups);
            const Entry en = entry_of(static_cast<uint32_t>(rng() % entries), lengths);
            const uint32_t host_mask = en.length == 32 ? 0 : ~0u >> en.length;
            ip.destination = v4(0xef010000 + grp);
            ip.source =
                v4(en.length == 0 ? 0xc0a80000u | (static_cast<uint32_t>(rng()) & 0xffff)
                                  : en.network | (static_cast<uint32_t>(rng()) & host_mask));
            if (!packets.empty() && packets.back().destination == ip.destination &&
                packets.back().source == ip.source) {
                continue;  // the memo would answer
            }
            packets.push_back(ip);
        }
    }
    ~Fixture() { shm::Region::remove(instance); }
};

void SpdFindPolicy(benchmark::State& state) {
    Fixture f(static_cast<uint32_t>(state.range(0)), static_cast<uint32_t>(state.range(1)),
              static_cast<uint32_t>(state.range(2)));
    shm::SaTableReader reader(*f.region);
    uint32_t next = 0, missed = 0;
    for (auto _ : state) {
        const esp::IpHeaderInfo& ip = f.packets[next++ % kPool];
        const auto policy = reader.find_policy(ip.destination, ip.source);
        missed += !policy;
        benchmark::DoNotOptimize(policy);
    }
    if (missed) state.SkipWithError("a source found no entry");
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void SpdClassify(benchmark::State& state) {
    Fixture f(static_cast<uint32_t>(state.range(0)), static_cast<uint32_t>(state.range(1)),
              static_cast<uint32_t>(state.range(2)));
    shm::SaTableReader reader(*f.region);
    dataplane::SaCache cache(*f.region, *f.engine);
    dataplane::OutboundPolicy policy(reader, cache);
    for (uint32_t s = 0; s < kSas; ++s) cache.outbound(s);  // key schedules built once
    uint32_t next = 0;
    uint64_t protect = 0;
    for (auto _ : state) {
        policy.begin_burst();
        for (uint32_t i = 0; i < kBurst; ++i) {
            const dataplane::OutboundVerdict v = policy.classify(f.packets[next++ % kPool]);
            protect += v.action == shm::PolicyAction::Protect;
        }
    }
    benchmark::DoNotOptimize(protect);
    if (protect == 0) state.SkipWithError("nothing protected");
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
}

void Args(benchmark::internal::Benchmark* b) {
    b->Args({1, 16, 1})
        ->Args({100, 16, 1})
        ->Args({10000, 16, 1})
        ->Args({100, 16, 4})
        ->Args({10000, 16, 4})
        ->Args({10000, 1, 4});
}

}  // namespace

BENCHMARK(SpdFindPolicy)->Apply(Args);
BENCHMARK(SpdClassify)->Apply(Args);
BENCHMARK_MAIN();
