// Several lcores on one inbound SA, as RSS makes them: each thread has its own view of the SA
// (its own InboundSa, crypto engine and decap stage, like an lcore's SaCache entry) over ONE
// shared runtime block and ONE shared block of per-sender windows, as in the shared-memory slot.
//
// Built and run under ThreadSanitizer by tools/test.sh (ctest label `concurrency`): any data
// race fails the run. The assertions hold in every build: no crash, a forged packet never takes
// a window, and every (sender, sequence) is accepted at most once across all threads, however
// its copies are spread over them.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <map>
#include <random>
#include <thread>

#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "test_packets.hpp"

namespace mcsec::esp {
namespace {

constexpr unsigned kThreads = 4;

// Every thread checks and updates the same window with the same numbers at about the same time.
TEST(ReplayConcurrency, EachSequenceNumberIsAcceptedOnceAcrossThreads) {
    constexpr uint64_t kNumbers = 100'000;
    std::vector<uint64_t> storage(ReplayWindow::storage_words(1024), 0);
    std::vector<std::vector<uint64_t>> accepted(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            ReplayWindow window(storage.data(), 1024);  // this "lcore's" view
            std::mt19937_64 rng(t);
            start.arrive_and_wait();
            for (uint64_t base = 1; base <= kNumbers; base += 8) {
                // A little reordering inside each group of 8, different on every thread.
                uint64_t order[8];
                for (uint64_t k = 0; k < 8; ++k) order[k] = base + k;
                std::shuffle(order, order + 8, rng);
                for (uint64_t seq : order) {
                    if (window.check(seq) && window.update(seq)) accepted[t].push_back(seq);
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    std::vector<uint8_t> times(kNumbers + 8, 0);
    uint64_t total = 0;
    for (const auto& list : accepted) {
        for (uint64_t seq : list) {
            ASSERT_EQ(++times[seq], 1) << "sequence " << seq << " accepted twice";
            ++total;
        }
    }
    // The thread that is furthest ahead sees every number inside the window (the reordering
    // is 8 deep), so each number is accepted by exactly one thread.
    EXPECT_EQ(total, kNumbers);
}

// The whole decap path on several threads: packets from many senders (more than the SA has
// windows for), every valid packet sent to two threads, forged sender IDs from everywhere.
TEST(ReplayConcurrency, DecapOnSeveralLcoresAcceptsEachPacketOnceAndSurvivesForgeries) {
    constexpr uint32_t kMaxSenders = 16;
    constexpr uint16_t kSenders = 24;  // 8 more than there are windows
    constexpr uint32_t kPerSender = 300;
    std::vector<uint8_t> key(16, 0x42);
    GroupSaParams params = test::sa_params(key, "239.1.1.1", "239.100.1.1", "192.0.2.1");
    params.max_senders = kMaxSenders;
    params.replay_window = 256;

    // The shared state of the SA, as in its shared-memory slot.
    InboundSaRuntime shared_runtime;
    std::vector<uint64_t> shared_windows(
        SenderWindows::block_words(kMaxSenders, params.replay_window));
    SenderWindows(shared_windows.data(), kMaxSenders, params.replay_window, true);

    // Valid traffic: each sender's packets carry (sender, number) in the payload.
    auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    EspEncap encap(*engine);
    std::vector<std::vector<std::vector<uint8_t>>> per_sender(kSenders);
    for (uint16_t sender = 1; sender <= kSenders; ++sender) {
        GroupSaParams p = params;
        p.sender_id = sender;
        auto out = make_outbound_sa(*engine, p);
        for (uint32_t n = 0; n < kPerSender; ++n) {
            auto inner = test::udp_packet("10.1.0.1", "239.1.1.1", 8);
            store_be16(&inner[inner.size() - 8], sender);
            store_be32(&inner[inner.size() - 6], n);
            test::TestPacket tp(inner);
            PacketBuffer* pkts[1] = {tp.ptr()};
            OutboundSa* sas[1] = {out.get()};
            DropReason reasons[1];
            ASSERT_EQ(encap.process(pkts, sas, reasons, 0), 1u);
            per_sender[sender - 1].push_back(tp.bytes());
        }
    }
    // Senders interleaved at random, each sender's packets in their order.
    std::mt19937_64 rng(12345);
    std::vector<std::vector<uint8_t>> packets;
    std::vector<size_t> next(kSenders, 0);
    while (packets.size() < size_t{kSenders} * kPerSender) {
        const size_t s = rng() % kSenders;
        if (next[s] < kPerSender) packets.push_back(per_sender[s][next[s]++]);
    }
    // Give every packet to two threads and forge a third copy
    // with another sender ID in its IV (what an attacker copying an SPI from the black network
    // can do) for a third thread.
    std::vector<std::vector<std::vector<uint8_t>>> inputs(kThreads);
    for (const auto& pkt : packets) {
        const unsigned a = rng() % kThreads;
        const unsigned b = (a + 1 + rng() % (kThreads - 1)) % kThreads;
        inputs[a].push_back(pkt);
        inputs[b].push_back(pkt);
        auto forged = pkt;
        store_be16(&forged[28], static_cast<uint16_t>(1000 + rng() % 60000));
        inputs[(b + 1) % kThreads].push_back(forged);
    }

    std::vector<std::map<std::pair<uint16_t, uint32_t>, int>> delivered(kThreads);
    std::vector<DropCounters> drops(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // This lcore's view: own key schedule and engine, shared runtime and windows.
            auto lcore_engine = crypto::make_engine(crypto::Backend::IpsecMb);
            const ExternalRuntime external{nullptr, &shared_runtime, shared_windows.data(), false};
            auto sa = make_inbound_sa(*lcore_engine, params, external);
            Sad sad(4);
            sad.add(sa.get());
            EspDecap decap(*lcore_engine, sad);
            start.arrive_and_wait();
            const auto& mine = inputs[t];
            for (size_t at = 0; at < mine.size(); at += 32) {
                const size_t n = std::min<size_t>(32, mine.size() - at);
                std::vector<test::TestPacket> burst;
                burst.reserve(n);
                std::vector<PacketBuffer*> pkts;
                for (size_t k = 0; k < n; ++k) {
                    burst.emplace_back(mine[at + k]);
                    pkts.push_back(burst.back().ptr());
                }
                std::vector<InboundSa*> sas(n);
                std::vector<DropReason> reasons(n);
                const uint32_t ok = decap.process(pkts, sas, reasons, 0);
                for (uint32_t k = 0; k < ok; ++k) {
                    const uint8_t* payload = pkts[k]->data() + pkts[k]->length() - 8;
                    ++delivered[t][{load_be16(payload), load_be32(payload + 2)}];
                }
            }
            drops[t] = decap.drops();
        });
    }
    for (auto& th : threads) th.join();

    std::map<std::pair<uint16_t, uint32_t>, int> total;
    uint64_t icv_failures = 0, too_many = 0;
    for (unsigned t = 0; t < kThreads; ++t) {
        for (const auto& [id, count] : delivered[t]) total[id] += count;
        icv_failures += drops[t][DropReason::IcvMismatch];
        too_many += drops[t][DropReason::TooManySenders];
    }
    for (const auto& [id, count] : total) {
        ASSERT_EQ(count, 1) << "sender " << id.first << " packet " << id.second << " delivered "
                            << count << " times";
    }
    SenderWindows view(shared_windows.data(), kMaxSenders, params.replay_window, false);
    // Every forged copy fails its ICV (so do authentic copies that arrive left of the window:
    // RFC 4303 A2.2 takes their number for the next 2^32 subspace).
    EXPECT_GE(icv_failures, packets.size());
    EXPECT_EQ(view.count(), kMaxSenders) << "windows go to authentic senders only, all used";
    EXPECT_GT(too_many, 0u) << "the senders beyond the window count were refused";
    uint32_t with_window = 0;
    for (uint16_t sender = 1; sender <= kSenders; ++sender) {
        if (view.find(sender).valid()) ++with_window;
    }
    EXPECT_EQ(with_window, kMaxSenders) << "every window belongs to an authentic sender";
    // Liveness, loosely: threads may run far apart on a loaded machine, so a copy that comes
    // late can be left of the window; but most packets get through.
    EXPECT_GE(total.size(), size_t{with_window} * kPerSender * 3 / 10);
}

}  // namespace
}  // namespace mcsec::esp
