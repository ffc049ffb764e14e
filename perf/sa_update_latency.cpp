// SA update visibility: the time from the control writer's call until a polling lcore uses
// the new SA, over 10,000 updates; p50/p99/max. (The original testbed: ~200 ms per setkey.)
//
//   switch    the new SA is already published; the writer switches the group's policy to it
//             (one atomic store). Measures publication + the lcore noticing.
//   add+switch the writer publishes a brand-new SA (key bytes in the slot) and switches the
//             policy. The lcore must also build its key schedule: the full cost of a rekey.
//
// Writer and reader run on separate CPUs (pinned when possible). Timestamps: CLOCK_MONOTONIC
// (steady_clock), same clock on both threads.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "mcsec/dataplane/outbound_policy.hpp"
#include "mcsec/dataplane/sa_cache.hpp"
#include "mcsec/esp/byte_order.hpp"
#include "mcsec/shm/sa_table.hpp"

using namespace mcsec;
using Clock = std::chrono::steady_clock;

namespace {

void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % std::max(1u, std::thread::hardware_concurrency()), &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

struct Result {
    double p50, p99, max;
};

Result percentiles(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[v.size() * 99 / 100], v.back()};
}

Result run(bool add_each_time, int updates) {
    const std::string instance = "bench-upd-" + std::to_string(getpid());
    shm::Region::remove(instance);
    shm::Geometry g;
    g.sa_slots = 64;
    g.lcores = 1;
    g.max_senders = 4;
    g.replay_window = 64;
    std::string error;
    auto region = shm::Region::create(instance, g, error);
    if (!region) {
        std::fprintf(stderr, "%s\n", error.c_str());
        std::exit(1);
    }
    region->header().dataplane_pid.store(getpid());
    // One key per SA: the writer refuses two outbound SAs in one nonce space.
    std::map<uint32_t, std::vector<uint8_t>> keys;
    esp::IpAddress group, tunnel, source;
    esp::IpAddress::parse("239.1.1.1", group);
    esp::IpAddress::parse("239.255.1.1", tunnel);
    esp::IpAddress::parse("192.0.2.1", source);
    auto spec_for = [&](uint32_t spi) {
        shm::SaSpec s;
        s.spi = spi;
        auto& key = keys[spi];
        key.assign(16, 0x42);
        esp::store_be32(key.data(), spi);
        s.key = key;
        s.max_senders = 4;
        s.replay_window = 64;
        s.tunnel_source = source;
        s.tunnel_destination = tunnel;
        s.red_group = group;
        return s;
    };

    std::atomic<uint32_t> seen_spi{0};
    std::atomic<int64_t> seen_at{0};
    std::atomic<bool> stop{false};
    std::thread lcore([&] {
        pin(1);
        auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
        shm::SaTableReader reader(*region);
        dataplane::SaCache cache(*region, *engine);
        dataplane::OutboundPolicy policy(reader, cache);
        reader.set_online(0, true);
        // A red packet to the group, as the lcore would classify it.
        std::vector<uint8_t> pkt(64, 0);
        pkt[0] = 0x45;
        pkt[3] = 64;
        pkt[9] = 17;
        std::copy(group.v4_bytes(), group.v4_bytes() + 4, &pkt[16]);
        esp::PacketBuffer buffer(pkt.data(), 64, 0, 64);
        uint32_t last = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            policy.begin_burst();  // one "burst" per poll, as in the lcore loop
            const auto v = policy.classify(buffer);
            if (v.sa != nullptr && v.sa->spi != last) {
                last = v.sa->spi;
                seen_at.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
                seen_spi.store(last, std::memory_order_release);
            }
            reader.quiescent(0);
        }
        reader.set_online(0, false);
    });

    pin(0);
    auto writer_role = shm::SaTableWriter::acquire(*region, error);
    if (!writer_role) std::abort();
    shm::SaTableWriter& writer = *writer_role;
    std::vector<double> micros;
    uint32_t current = *writer.add_sa(spec_for(0x1000), error);
    writer.set_policy(group, std::nullopt, shm::PolicyAction::Protect, current);
    uint32_t spare = *writer.add_sa(spec_for(0x1001), error);
    while (seen_spi.load() != 0x1000) std::this_thread::yield();
    for (int i = 0; i < updates; ++i) {
        const uint32_t spi = 0x2000 + static_cast<uint32_t>(i);
        uint32_t next;
        int64_t t0;
        if (add_each_time) {
            t0 = Clock::now().time_since_epoch().count();
            next = *writer.add_sa(spec_for(spi), error);
            writer.set_policy(group, std::nullopt, shm::PolicyAction::Protect, next);
        } else {
            next = *writer.add_sa(spec_for(spi), error);  // published ahead, untimed
            t0 = Clock::now().time_since_epoch().count();
            writer.set_policy(group, std::nullopt, shm::PolicyAction::Protect, next);
        }
        while (seen_spi.load(std::memory_order_acquire) != spi) {
        }
        micros.push_back(static_cast<double>(seen_at.load() - t0) / 1000.0);
        writer.retire_sa(current);
        writer.synchronize(std::chrono::seconds(1));
        current = next;
    }
    (void)spare;
    stop = true;
    lcore.join();
    shm::Region::remove(instance);
    return percentiles(micros);
}

}  // namespace

int main(int argc, char** argv) {
    const int updates = argc > 1 ? std::atoi(argv[1]) : 10000;
    for (bool add : {false, true}) {
        const Result r = run(add, updates);
        std::printf("%-10s updates=%d  p50 %.2f us  p99 %.2f us  max %.1f us\n",
                    add ? "add+switch" : "switch", updates, r.p50, r.p99, r.max);
    }
    return 0;
}
