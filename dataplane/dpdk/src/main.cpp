// mcsec-dataplane: the DPDK fast path of one appliance.
//
//   mcsec-dataplane --config FILE
//
// Loads the config, attaches to (or creates) the instance's shared-memory region, publishes
// the config's manual SAs when keying is manual, initialises DPDK, opens the ports and polls
// them on the configured lcores until SIGINT or SIGTERM. Exit status: 0 clean stop, 2 bad
// config or arguments, 1 any other start-up failure (the message says which).
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "black_group_joiner.hpp"
#include "exception_tap.hpp"
#include "lcore_loop.hpp"
#include "mcsec/config/loader.hpp"
#include "mcsec/crypto/key_memory.hpp"
#include "mcsec/dataplane/eal_args.hpp"
#include "mcsec/dataplane/manual_keying.hpp"
#include "mcsec/dataplane/membership_query.hpp"
#include "mcsec/dataplane/sender_id_conflicts.hpp"
#include "mcsec/dataplane/nonce_ledger.hpp"
#include "mcsec/dataplane/seq_reserver.hpp"
#include "mcsec/shm/keying/region_geometry.hpp"
#include "mcsec/shm/keying/sa_builder.hpp"
#include "mcsec/shm/monotonic.hpp"
#include "mcsec/shm/sa_table.hpp"
#include "port.hpp"

using namespace mcsec;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
    g_stop.store(true);
}

// How often the sequence-number reserver looks at the SA slots: new SAs (mcsecctl sa add,
// controld) get their first block within this, and refills are asked for half a block ahead.
constexpr auto kReservePeriod = std::chrono::milliseconds(5);

int fail(const std::string& message, int status = 1) {
    std::cerr << "mcsec-dataplane: " << message << "\n";
    return status;
}

unsigned reserved_hugepages() {
    std::ifstream f("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
    unsigned n = 0;
    f >> n;
    return n;
}

void print_summary(shm::Region& region, uint32_t lcores) {
    uint64_t red_rx = 0, red_tx = 0, black_rx = 0, black_tx = 0;
    std::vector<uint64_t> drops(esp::kDropReasonCount);
    for (uint32_t i = 0; i < lcores; ++i) {
        shm::Counters& c = region.counters(i);
        red_rx += c.red_rx.load();
        red_tx += c.red_tx.load();
        black_rx += c.black_rx.load();
        black_tx += c.black_tx.load();
        for (size_t r = 0; r < drops.size(); ++r) drops[r] += c.drops[r].load();
    }
    std::printf("mcsec-dataplane: red rx %lu tx %lu, black rx %lu tx %lu\n", red_rx, red_tx,
                black_rx, black_tx);
    for (size_t r = 0; r < drops.size(); ++r) {
        if (drops[r] == 0) continue;
        std::printf("mcsec-dataplane: drop %-24s %lu\n",
                    std::string(esp::counter_name(static_cast<esp::DropReason>(r))).c_str(),
                    drops[r]);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // The dataplane holds every SA key: never in a core dump, no ptrace by the same user.
    if (std::string error; !crypto::protect_process_keys(error)) return fail(error);
    std::string config_path;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--config" && i + 1 < argc) {
            config_path = argv[++i];
        } else if (a == "--help" || a == "-h") {
            std::cout << "usage: mcsec-dataplane --config FILE\n";
            return 0;
        } else {
            return fail("unknown argument '" + a + "' (usage: mcsec-dataplane --config FILE)", 2);
        }
    }
    if (config_path.empty()) return fail("missing --config FILE", 2);

    auto loaded = config::load_config_file(config_path);
    if (!loaded.ok()) {
        std::cerr << loaded.errors_to_string();
        return fail("invalid configuration, nothing started", 2);
    }
    const config::ApplianceConfig cfg = std::move(loaded).config();
    const auto& dp = cfg.dataplane;

    if (dp.hugepages && reserved_hugepages() == 0) {
        return fail(
            "dataplane.hugepages is true but no 2 MB hugepages are reserved: run "
            "'echo 256 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages' or set "
            "dataplane.hugepages = false");
    }
    // Say plainly where the configured behaviour has limits, rather than pretend.
    if (dp.mtu_policy == config::MtuPolicy::Icmp) {
        std::cerr << "mcsec-dataplane: note: mtu_policy 'icmp': oversize IPv6 gets an ICMPv6 "
                     "packet-too-big; oversize IPv4 multicast is dropped without ICMP (RFC 1122 "
                     "3.2.2 forbids ICMP errors about multicast; 'fragment' carries it)\n";
        for (const auto& port : cfg.ports) {
            const bool has_v6 = std::any_of(port.addresses.begin(), port.addresses.end(),
                                            [](const auto& a) { return a.address().is_v6(); });
            if (port.role == config::PortRole::Red && !has_v6) {
                std::cerr << "mcsec-dataplane: note: red port " << port.name
                          << " has no IPv6 address to send packet-too-big from: oversize IPv6 "
                             "from it is dropped without one\n";
            }
        }
    }

    // Shared memory first: a config that cannot get its region starts nothing.
    std::string error;
    bool created = false;
    auto region =
        shm::Region::attach_or_create(cfg.instance.name, shm::region_geometry(cfg), created, error);
    if (!region) return fail(error);
    if (!region->locked()) {
        std::cerr << "mcsec-dataplane: note: the region's keys are not locked in RAM: "
                  << region->lock_note() << "\n";
    }
    shm::RegionHeader& header = region->header();
    const int32_t previous = header.dataplane_pid.load();
    if (previous > 0 && previous != getpid() && kill(previous, 0) == 0) {
        return fail("another mcsec-dataplane (pid " + std::to_string(previous) +
                    ") is attached to " + shm::Region::path_of(cfg.instance.name));
    }
    // The region is the source of truth once it exists: a restarted dataplane keeps the SAs
    // it finds (including rollovers done since start), and only a new region gets the config's
    // manual SAs. (To load changed manual keys: mcsecctl sa add/switch/retire.)
    if (created && cfg.keying.mode == config::KeyingMode::Manual) {
        // The writer role is held only while the keys go in, so `mcsecctl sa add|switch|retire`
        // works while the dataplane runs.
        auto writer = shm::SaTableWriter::acquire(*region, error);
        if (!writer) return fail("manual keys: " + error);
        if (!dataplane::apply_manual_keys(cfg, *region, *writer, shm::monotonic_seconds(), error)) {
            return fail("manual keys: " + error);
        }
    }
    std::printf("mcsec-dataplane: %s region %s (%s)\n", created ? "created" : "re-attached to",
                shm::Region::path_of(cfg.instance.name).c_str(),
                created ? "new" : "SAs and counters kept");

    // Nonce safety across restarts: every outbound SA's sequence numbers are reserved in the
    // nonce ledger (on disk, fsync'd) before they are used, and continue above every number an
    // earlier run reserved under the same key. Reserved here for the SAs already in the region
    // (the manual keys, or a re-attached region's SAs) before any lcore starts, then kept ahead
    // by a thread. Without a ledger, outbound SAs send nothing (fail closed).
    auto ledger = dataplane::NonceLedger::open(cfg.instance.state_dir, cfg.instance.name, error);
    if (!ledger) {
        std::cerr << "mcsec-dataplane: ERROR: nonce ledger: " << error
                  << "\nmcsec-dataplane: ERROR: outbound SAs will NOT send (fail closed): AES-GCM "
                     "nonces cannot be kept unique across restarts without it. Fix "
                     "instance.state_dir ("
                  << cfg.instance.state_dir.string() << ") and restart.\n";
    }
    dataplane::SeqReserver reserver(*region, ledger.get(), [](const std::string& line) {
        std::cerr << "mcsec-dataplane: " << line << "\n";
    });
    {
        const auto pass = reserver.poll();
        std::printf("mcsec-dataplane: nonce ledger %s: %u of %u outbound SAs reserved\n",
                    ledger ? ledger->directory().c_str() : "(none)", pass.ready, pass.outbound);
    }

    // DPDK.
    auto args = dataplane::eal_arguments(cfg);
    std::vector<char*> eal_argv;
    for (auto& a : args) eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        return fail(std::string("DPDK EAL init failed: ") + rte_strerror(rte_errno));
    }
    rte_mempool* pool = rte_pktmbuf_pool_create("mcsec_mbufs", dp.mbufs, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == nullptr) {
        rte_eal_cleanup();
        return fail(std::string("mbuf pool: ") + rte_strerror(rte_errno) +
                    " (raise dataplane.memory_mb or lower dataplane.mbufs)");
    }
    // Fragments of oversize ESP packets reference the original's data (mtu_policy fragment).
    rte_mempool* indirect_pool = nullptr;
    if (dp.mtu_policy == config::MtuPolicy::Fragment) {
        indirect_pool =
            rte_pktmbuf_pool_create("mcsec_indirect", dp.mbufs, 256, 0, 0, rte_socket_id());
        if (indirect_pool == nullptr) {
            rte_eal_cleanup();
            return fail(std::string("indirect mbuf pool: ") + rte_strerror(rte_errno));
        }
    }
    const auto lcores = static_cast<uint16_t>(rte_lcore_count());
    std::vector<dataplane::Port> ports;
    const bool taps = dp.exception_path == config::ExceptionPath::Tap;
    if (!dataplane::open_ports(cfg, pool, lcores, ports, error) ||
        (taps && !dataplane::open_exception_taps(cfg, pool, lcores, ports, error))) {
        dataplane::close_ports(ports);
        rte_eal_cleanup();
        return fail(error);
    }

    // Ports are spread over the lcores; every lcore can transmit on every port (own queue).
    if (std::count_if(ports.begin(), ports.end(),
                      [](const auto& p) { return p.role == config::PortRole::Red; }) > 64) {
        return fail("at most 64 red ports are supported");
    }
    // With the querier on, silent memberships lapse after the RFC 3376 membership interval.
    const uint32_t membership_interval =
        dp.query_interval_s > 0
            ? dataplane::query_timing(dp.query_interval_s).membership_interval_s()
            : 0;
    dataplane::MembershipTable membership(4096, membership_interval);
    std::vector<dataplane::LcoreTask> tasks(lcores);
    std::vector<const dataplane::Port*> reds, blacks;
    for (const auto& p : ports) {
        if (!p.is_tap) (p.role == config::PortRole::Red ? reds : blacks).push_back(&p);
    }
    dataplane::ExceptionRules exception_rules;
    exception_rules.tap_enabled = taps;
    if (cfg.discovery) exception_rules.discovery_group = shm::to_esp(cfg.discovery->group);
    for (uint16_t i = 0; i < lcores; ++i) {
        tasks[i].index = i;
        tasks[i].tx_queue = i;
        tasks[i].red_ports = reds;
        tasks[i].black_ports = blacks;
        tasks[i].region = region.get();
        tasks[i].pool = pool;
        tasks[i].indirect_pool = indirect_pool;
        tasks[i].membership = &membership;
        tasks[i].settings = &dp;
        tasks[i].exception_rules = exception_rules;
        tasks[i].stop = &g_stop;
    }
    // Queues over lcores: a port with several rx queues has queue q polled by lcore q; a port
    // with one queue goes to one lcore (round robin over ports), and its TAP (all of the TAP's
    // queues) with it.
    size_t next_lcore = 0;
    for (const auto& port : ports) {
        if (port.is_tap) continue;
        const size_t owner = next_lcore % lcores;
        if (port.rx_queues > 1) {
            for (uint16_t q = 0; q < port.rx_queues; ++q) tasks[q].polls.push_back({&port, q});
            std::printf("mcsec-dataplane: port %s: %u rx queues on lcores 0-%u, %s\n",
                        port.name.c_str(), port.rx_queues, port.rx_queues - 1,
                        port.rx_spread.c_str());
        } else {
            tasks[owner].polls.push_back({&port, 0});
            std::printf("mcsec-dataplane: port %s: 1 rx queue on lcore %zu (%s)\n",
                        port.name.c_str(), owner, port.rx_spread.c_str());
        }
        for (const auto& tap : ports) {
            if (tap.is_tap && port.has_tap && tap.port_id == port.tap_port_id) {
                for (uint16_t q = 0; q < tap.rx_queues; ++q)
                    tasks[owner].polls.push_back({&tap, q});
            }
        }
        ++next_lcore;
    }

    header.dataplane_pid.store(getpid(), std::memory_order_release);
    header.dataplane_starts.fetch_add(1);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("mcsec-dataplane: instance %s forwarding on %zu ports, %u lcores\n",
                cfg.instance.name.c_str(), ports.size(), lcores);
    std::fflush(stdout);

    // Black-side joins follow red-side membership, on a thread of their own.
    std::thread joiner;
    if (taps) {
        std::vector<uint32_t> red_indexes;
        std::vector<std::string> tap_names;
        for (const auto* red : reds) red_indexes.push_back(red->red_index);
        for (const auto& p : ports) {
            if (p.is_tap) tap_names.push_back(p.name);
        }
        joiner = std::thread([&region, &membership, red_indexes, tap_names] {
            dataplane::BlackGroupJoiner black_groups(*region, membership, red_indexes, tap_names);
            while (!g_stop.load()) {
                black_groups.refresh();
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
        });
    }

    // Alarms the fast path cannot print itself: authentic packets with our own sender ID.
    std::thread conflict_watch([&region] {
        dataplane::SenderIdConflictWatch watch(*region);
        while (!g_stop.load()) {
            for (const auto& conflict : watch.poll()) {
                std::fprintf(stderr, "mcsec-dataplane: %s\n", conflict.describe().c_str());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    });
    std::thread reserver_thread([&reserver] { reserver.run(g_stop, kReservePeriod); });

    uint16_t index = 1;
    unsigned lcore_id;
    RTE_LCORE_FOREACH_WORKER(lcore_id) {
        rte_eal_remote_launch(dataplane::lcore_main, &tasks[index++], lcore_id);
    }
    dataplane::lcore_main(&tasks[0]);
    rte_eal_mp_wait_lcore();
    if (joiner.joinable()) joiner.join();
    conflict_watch.join();
    reserver_thread.join();

    print_summary(*region, lcores);
    dataplane::close_ports(ports);
    header.dataplane_pid.store(0, std::memory_order_release);
    rte_eal_cleanup();
    std::printf("mcsec-dataplane: stopped\n");
    return 0;
}
