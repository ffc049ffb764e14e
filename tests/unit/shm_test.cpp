// The shared-memory SA table contract: region creation and checks, SA publish/retire with
// grace periods, policies, writer restart, and lock-free reads during writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <thread>

#include "mcsec/shm/sa_table.hpp"
#include "test_packets.hpp"

namespace mcsec::shm {
namespace {

class Shm : public ::testing::Test {
  protected:
    void SetUp() override {
        instance_ = "test" + std::to_string(getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name();
        instance_.resize(std::min<size_t>(instance_.size(), 32));
        Region::remove(instance_);
        geometry_.sa_slots = 64;
        geometry_.spd_entries = 64;
        geometry_.max_senders = 4;
        geometry_.replay_window = 256;
        geometry_.lcores = 2;
        std::string error;
        region_ = Region::create(instance_, geometry_, error);
        ASSERT_TRUE(region_) << error;
    }
    void TearDown() override { Region::remove(instance_); }

    // Every SPI gets its own key: two outbound SAs with one key, salt and sender ID would share
    // a nonce space, and the writer refuses that.
    SaSpec spec(uint32_t spi, const char* dst = "239.100.1.1") {
        SaSpec s;
        s.spi = spi;
        auto& key = keys_[spi];
        key.assign(16, 0xa5);
        std::memcpy(key.data(), &spi, sizeof spi);
        s.key = key;
        s.salt = {1, 2, 3, 4};
        s.replay_window = 256;
        s.max_senders = 4;
        s.tunnel_source = test::ip("192.0.2.1");
        s.tunnel_destination = test::ip(dst);
        s.red_group = test::ip("239.1.1.1");
        return s;
    }

    std::string instance_;
    Geometry geometry_;
    std::unique_ptr<Region> region_;
    std::map<uint32_t, std::vector<uint8_t>> keys_;

    std::unique_ptr<SaTableWriter> acquire_writer() {
        std::string error;
        auto writer = SaTableWriter::acquire(*region_, error);
        EXPECT_TRUE(writer) << error;
        return writer;
    }
};

TEST_F(Shm, RegionIsMode0600AndAttachChecksIt) {
    struct stat st {};
    ASSERT_EQ(stat(Region::path_of(instance_).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::string error;
    EXPECT_FALSE(Region::create(instance_, geometry_, error)) << "second create must fail";
    auto attached = Region::attach(instance_, error);
    ASSERT_TRUE(attached) << error;
    EXPECT_EQ(attached->geometry(), geometry_);
    chmod(Region::path_of(instance_).c_str(), 0644);
    EXPECT_FALSE(Region::attach(instance_, error));
    EXPECT_NE(error.find("0600"), std::string::npos) << error;
}

TEST_F(Shm, AttachRejectsGarbageAndOtherGeometry) {
    std::string error;
    EXPECT_FALSE(Region::attach("no-such-instance-xyz", error));
    EXPECT_FALSE(Region::attach("../etc", error));
    bool created = true;
    Geometry other = geometry_;
    other.sa_slots = 128;
    EXPECT_FALSE(Region::attach_or_create(instance_, other, created, error));
    EXPECT_TRUE(Region::attach_or_create(instance_, geometry_, created, error));
    EXPECT_FALSE(created);
    region_->header().magic = 0;
    EXPECT_FALSE(Region::attach(instance_, error));
    EXPECT_NE(error.find("magic"), std::string::npos);
}

TEST_F(Shm, PublishedSaIsFoundWithItsParameters) {
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    std::string error;
    auto slot = writer.add_sa(spec(0x1234), error);
    ASSERT_TRUE(slot) << error;
    SaTableReader reader(*region_);
    EXPECT_EQ(reader.find_inbound(0x1234, test::ip("239.100.1.1")), *slot);
    EXPECT_EQ(reader.find_inbound(0x1234, test::ip("239.100.1.2")), kNoSlot);
    EXPECT_EQ(reader.find_inbound(0x1235, test::ip("239.100.1.1")), kNoSlot);
    std::array<uint8_t, 32> key{};
    auto params = params_from_control(region_->control(*slot), key);
    EXPECT_EQ(params.spi, 0x1234u);
    EXPECT_EQ(std::vector<uint8_t>(params.key.begin(), params.key.end()), keys_.at(0x1234));
    EXPECT_EQ(params.tunnel_destination, test::ip("239.100.1.1"));
    EXPECT_FALSE(writer.add_sa(spec(0x1234), error)) << "duplicate inbound (SPI, dst)";
    EXPECT_NE(error.find("exists"), std::string::npos);
}

TEST_F(Shm, RetiredSlotWaitsForEveryOnlineLcoreThenIsWiped) {
    region_->header().dataplane_pid.store(getpid());  // "a dataplane is attached"
    SaTableReader reader(*region_);
    reader.set_online(0, true);
    reader.set_online(1, true);
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    std::string error;
    const uint32_t slot = *writer.add_sa(spec(0x2000), error);
    const uint32_t free_before = writer.free_slots();
    ASSERT_TRUE(writer.retire_sa(slot));
    EXPECT_EQ(reader.find_inbound(0x2000, test::ip("239.100.1.1")), kNoSlot);
    EXPECT_EQ(writer.reclaim(), 0u) << "no lcore passed a quiescent point yet";
    reader.quiescent(0);
    EXPECT_EQ(writer.reclaim(), 0u) << "lcore 1 has not";
    reader.quiescent(1);
    EXPECT_EQ(writer.reclaim(), 2u);  // the slot and its SAD entry
    EXPECT_EQ(writer.free_slots(), free_before + 1);
    const SaControl& c = region_->control(slot);
    EXPECT_EQ(c.state.load(), static_cast<uint32_t>(SlotState::Free));
    for (uint8_t b : c.key) ASSERT_EQ(b, 0) << "key bytes must be zeroed when freed";
}

TEST_F(Shm, OfflineLcoresAndADeadDataplaneDoNotBlockReclaim) {
    SaTableReader reader(*region_);
    reader.set_online(0, true);
    region_->header().dataplane_pid.store(getpid());
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    std::string error;
    const uint32_t slot = *writer.add_sa(spec(0x3000), error);
    writer.retire_sa(slot);
    EXPECT_FALSE(writer.synchronize(std::chrono::milliseconds(5)));
    reader.set_online(0, false);
    EXPECT_TRUE(writer.synchronize(std::chrono::milliseconds(100)));
    // A dataplane that died (no such pid) cannot hold references either.
    reader.set_online(0, true);
    const uint32_t slot2 = *writer.add_sa(spec(0x3001), error);
    writer.retire_sa(slot2);
    region_->header().dataplane_pid.store(0x7ffffff0);
    EXPECT_TRUE(writer.synchronize(std::chrono::milliseconds(100)));
}

TEST_F(Shm, PoliciesSourceSpecificWinsAndSwitchIsAtomic) {
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    SaTableReader reader(*region_);
    const auto group = test::ip("239.1.1.1");
    EXPECT_FALSE(reader.find_policy(group, test::ip("10.0.0.1")));
    ASSERT_TRUE(writer.set_policy(group, std::nullopt, PolicyAction::Protect, 5));
    const esp::SourcePrefix host{test::ip("10.9.9.9"), 128};
    ASSERT_TRUE(writer.set_policy(group, host, PolicyAction::Discard));
    auto any = reader.find_policy(group, test::ip("10.0.0.1"));
    ASSERT_TRUE(any);
    EXPECT_EQ(policy_action(*any), PolicyAction::Protect);
    EXPECT_EQ(policy_slot(*any), 5u);
    EXPECT_EQ(policy_action(*reader.find_policy(group, test::ip("10.9.9.9"))),
              PolicyAction::Discard);
    ASSERT_TRUE(writer.set_policy(group, std::nullopt, PolicyAction::Protect, 6));  // rollover
    EXPECT_EQ(policy_slot(*reader.find_policy(group, test::ip("10.0.0.1"))), 6u);
    ASSERT_TRUE(writer.remove_policy(group, host));
    EXPECT_EQ(policy_action(*reader.find_policy(group, test::ip("10.9.9.9"))),
              PolicyAction::Protect);
    ASSERT_TRUE(writer.remove_policy(group, std::nullopt));
    EXPECT_FALSE(reader.find_policy(group, test::ip("10.0.0.1")));
}

// RFC 4301 4.4.1: the longest source prefix that holds the source decides; no entry, no
// policy. Prefix lengths count bits of the 16-byte form (IPv4 /24 = 120).
TEST_F(Shm, LongestSourcePrefixWins) {
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    SaTableReader reader(*region_);
    const auto group = test::ip("239.1.1.1");
    const auto action = [&](const char* source) {
        const auto v = reader.find_policy(group, test::ip(source));
        return v ? static_cast<int>(policy_action(*v)) : -1;
    };
    const int discard = 0, bypass = 1, protect = 2;
    ASSERT_TRUE(writer.set_policy(group, esp::SourcePrefix{test::ip("172.16.0.0"), 108},
                                  PolicyAction::Bypass));  // 172.16.0.0/12
    EXPECT_EQ(action("172.31.255.255"), bypass);
    EXPECT_EQ(action("172.32.0.0"), -1);  // no entry: the caller discards
    ASSERT_TRUE(writer.set_policy(group, esp::SourcePrefix{test::ip("172.16.10.0"), 120},
                                  PolicyAction::Protect, 3));  // 172.16.10.0/24
    ASSERT_TRUE(writer.set_policy(group, esp::SourcePrefix{test::ip("172.16.10.128"), 128},
                                  PolicyAction::Discard));  // one host
    ASSERT_TRUE(writer.set_policy(group, std::nullopt, PolicyAction::Discard));
    EXPECT_EQ(action("172.16.10.10"), protect);
    EXPECT_EQ(policy_slot(*reader.find_policy(group, test::ip("172.16.10.10"))), 3u);
    EXPECT_EQ(action("172.16.10.128"), discard);
    EXPECT_EQ(action("172.16.11.1"), bypass);
    EXPECT_EQ(action("10.0.0.1"), discard);  // the any-source entry
    EXPECT_FALSE(reader.find_policy(test::ip("239.1.1.2"), test::ip("172.16.10.10")));

    // Removing the /24 uncovers the /12; removing the rest leaves nothing.
    ASSERT_TRUE(writer.remove_policy(group, esp::SourcePrefix{test::ip("172.16.10.0"), 120}));
    EXPECT_EQ(action("172.16.10.10"), bypass);
    EXPECT_FALSE(writer.remove_policy(group, esp::SourcePrefix{test::ip("172.16.10.0"), 120}));
    ASSERT_TRUE(writer.remove_policy(group, std::nullopt));
    EXPECT_EQ(action("10.0.0.1"), -1);
    ASSERT_TRUE(writer.remove_policy(group, esp::SourcePrefix{test::ip("172.16.0.0"), 108}));
    ASSERT_TRUE(writer.remove_policy(group, esp::SourcePrefix{test::ip("172.16.10.128"), 128}));
    EXPECT_EQ(action("172.16.10.128"), -1);
    // Four entries and the group's record wait for their grace period, then are reusable.
    EXPECT_EQ(writer.pending(), 5u);
    EXPECT_TRUE(writer.synchronize(std::chrono::milliseconds(100)));
    ASSERT_TRUE(writer.set_policy(group, std::nullopt, PolicyAction::Bypass));
    EXPECT_EQ(action("10.0.0.1"), bypass);
}

TEST_F(Shm, PolicySelectorsAreMaskedAndIpv6Works) {
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    SaTableReader reader(*region_);
    const auto group = test::ip("ff3e::1:1");
    // Host bits past the length are not part of the key.
    ASSERT_TRUE(writer.set_policy(group, esp::SourcePrefix{test::ip("2001:db8:1::99"), 48},
                                  PolicyAction::Bypass));
    EXPECT_TRUE(reader.find_policy_entry(group, esp::SourcePrefix{test::ip("2001:db8:1::"), 48}));
    EXPECT_EQ(policy_action(*reader.find_policy(group, test::ip("2001:db8:1:ffff::1"))),
              PolicyAction::Bypass);
    EXPECT_FALSE(reader.find_policy(group, test::ip("2001:db8:2::1")));
    // A /0 is the any-source entry; lengths past 128 are refused.
    ASSERT_TRUE(writer.set_policy(group, esp::SourcePrefix{test::ip("2001:db8::1"), 0},
                                  PolicyAction::Discard));
    EXPECT_TRUE(reader.find_policy_entry(group, std::nullopt));
    EXPECT_EQ(policy_action(*reader.find_policy(group, test::ip("2001:db8:2::1"))),
              PolicyAction::Discard);
    EXPECT_FALSE(writer.set_policy(group, esp::SourcePrefix{test::ip("2001:db8::1"), 129},
                                   PolicyAction::Bypass));
    // Odd lengths, both halves of the address.
    ASSERT_TRUE(writer.set_policy(group, esp::SourcePrefix{test::ip("2001:db8:1:0:8000::"), 65},
                                  PolicyAction::Protect, 9));
    EXPECT_EQ(policy_slot(*reader.find_policy(group, test::ip("2001:db8:1:0:ffff::1"))), 9u);
    EXPECT_EQ(policy_action(*reader.find_policy(group, test::ip("2001:db8:1:0:7fff::1"))),
              PolicyAction::Bypass);
}

// A restarted writer counts the entries of every group and length again, so it clears a
// length (and removes the record) exactly when the last entry goes, never earlier.
TEST_F(Shm, RestartedWriterKeepsTheLengthsOfEveryGroup) {
    const auto group = test::ip("239.1.1.1");
    const esp::SourcePrefix a{test::ip("10.1.0.0"), 120}, b{test::ip("10.2.0.0"), 120};
    {
        auto writer_role = acquire_writer();
        SaTableWriter& writer = *writer_role;
        ASSERT_TRUE(writer.set_policy(group, a, PolicyAction::Bypass));
        ASSERT_TRUE(writer.set_policy(group, b, PolicyAction::Protect, 1));
    }
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    SaTableReader reader(*region_);
    ASSERT_TRUE(writer.remove_policy(group, a));
    EXPECT_EQ(policy_action(*reader.find_policy(group, test::ip("10.2.0.7"))),
              PolicyAction::Protect);
    EXPECT_FALSE(reader.find_policy(group, test::ip("10.1.0.7")));
    ASSERT_TRUE(writer.remove_policy(group, b));
    EXPECT_FALSE(reader.find_policy(group, test::ip("10.2.0.7")));
    EXPECT_EQ(writer.pending(), 3u);  // two entries and the record
}

// Lookups racing with a writer that adds and removes other entries of the same group (some of
// the same length) never miss the one entry that holds the looked-up source.
TEST_F(Shm, LookupsNeverMissAnEntryWhileOthersComeAndGo) {
    region_->header().dataplane_pid.store(getpid());
    const auto group = test::ip("239.1.1.1");
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    ASSERT_TRUE(writer.set_policy(group, esp::SourcePrefix{test::ip("10.1.1.0"), 120},
                                  PolicyAction::Protect, 7));
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> lookups{0}, wrong{0};
    std::thread reader_thread([&] {
        SaTableReader reader(*region_);
        reader.set_online(0, true);
        const auto source = test::ip("10.1.1.9");
        while (!stop.load(std::memory_order_relaxed)) {
            const auto v = reader.find_policy(group, source);
            if (!v || policy_action(*v) != PolicyAction::Protect || policy_slot(*v) != 7) ++wrong;
            ++lookups;
            reader.quiescent(0);
        }
        reader.set_online(0, false);
    });
    while (lookups.load() == 0) std::this_thread::yield();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (uint32_t round = 0;
         (round < 3000 || lookups.load() < 100000) && std::chrono::steady_clock::now() < deadline;
         ++round) {
        // Same length (/24) elsewhere, shorter ones that do not hold the source, a longer one
        // beside it: every bit the lookup depends on flips on and off around it.
        const uint8_t octet = static_cast<uint8_t>(round % 200 + 2);
        const uint8_t other[4] = {10, 1, octet, 0};
        const uint8_t wide[4] = {10, static_cast<uint8_t>(round % 50 + 2), 0, 0};
        const uint8_t near[4] = {10, 1, 1, static_cast<uint8_t>(128 + round % 100)};
        const esp::SourcePrefix p1{esp::IpAddress::from_v4(other), 120},
            p2{esp::IpAddress::from_v4(wide), 112}, p3{esp::IpAddress::from_v4(near), 128};
        ASSERT_TRUE(writer.set_policy(group, p1, PolicyAction::Bypass));
        ASSERT_TRUE(writer.set_policy(group, p2, PolicyAction::Discard));
        ASSERT_TRUE(writer.set_policy(group, p3, PolicyAction::Bypass));
        ASSERT_TRUE(writer.remove_policy(group, p1));
        ASSERT_TRUE(writer.remove_policy(group, p2));
        ASSERT_TRUE(writer.remove_policy(group, p3));
        ASSERT_TRUE(writer.synchronize(std::chrono::seconds(5)));
    }
    stop = true;
    reader_thread.join();
    EXPECT_GT(lookups.load(), 10000u);
    EXPECT_EQ(wrong.load(), 0u);
}

TEST_F(Shm, TableFullAndGeometryLimitsAreErrors) {
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    std::string error;
    auto too_big = spec(1);
    too_big.replay_window = 4096;
    EXPECT_FALSE(writer.add_sa(too_big, error));
    for (uint32_t i = 0; i < geometry_.sa_slots; ++i) {
        const uint8_t dst[4] = {239, 100, 0, static_cast<uint8_t>(i)};
        auto s = spec(0x100 + i);
        s.tunnel_destination = esp::IpAddress::from_v4(dst);
        ASSERT_TRUE(writer.add_sa(s, error)) << i << error;
    }
    EXPECT_FALSE(writer.add_sa(spec(0x9999), error));
    EXPECT_NE(error.find("no free SA slot"), std::string::npos);
}

TEST_F(Shm, RestartedWriterKnowsFreeAndRetiredSlots) {
    std::string error;
    uint32_t kept, retired;
    {
        auto writer_role = acquire_writer();
        SaTableWriter& writer = *writer_role;
        kept = *writer.add_sa(spec(0x10), error);
        retired = *writer.add_sa(spec(0x11), error);
        writer.retire_sa(retired);
    }
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    EXPECT_EQ(writer.free_slots(), geometry_.sa_slots - 2);
    EXPECT_EQ(writer.pending(), 2u);  // the retired slot and its SAD tombstone
    EXPECT_TRUE(writer.synchronize(std::chrono::milliseconds(100)));  // no dataplane attached
    EXPECT_EQ(writer.free_slots(), geometry_.sa_slots - 1);
    SaTableReader reader(*region_);
    EXPECT_EQ(reader.find_inbound(0x10, test::ip("239.100.1.1")), kept);
}

// Two Active outbound SAs with one key, salt and sender ID would share one AES-GCM nonce space.
TEST_F(Shm, OneNonceSpaceHasOneActiveOutboundSa) {
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    std::string error;
    const auto first = writer.add_sa(spec(0x100), error);
    ASSERT_TRUE(first) << error;
    EXPECT_EQ(region_->runtime(*first).outbound.seq_limit, 0u) << "nothing reserved yet";
    SaSpec again = spec(0x200);
    again.key = keys_.at(0x100);
    EXPECT_FALSE(writer.add_sa(again, error));
    EXPECT_NE(error.find("same key, salt and sender ID"), std::string::npos) << error;
    again.sender_id = 2;  // another sender ID is another nonce space
    EXPECT_TRUE(writer.add_sa(again, error)) << error;
    again.sender_id = 1;
    again.spi = 0x300;
    again.direction = kInbound;  // receiving only: no nonces of ours
    EXPECT_TRUE(writer.add_sa(again, error)) << error;
    ASSERT_TRUE(writer.retire_sa(*first));
    again.spi = 0x400;
    again.direction = kInbound | kOutbound;
    EXPECT_TRUE(writer.add_sa(again, error)) << "the first one is retired: " << error;
}

// The single-writer rule is enforced: the role is a flock on the region file.
TEST_F(Shm, OnlyOneWriterAtATimeAndDestructionReleasesTheRole) {
    std::string error;
    auto first = SaTableWriter::acquire(*region_, error);
    ASSERT_TRUE(first) << error;
    EXPECT_EQ(region_->header().writer_pid.load(), getpid());
    EXPECT_FALSE(SaTableWriter::acquire(*region_, error)) << "second writer in this process";
    EXPECT_NE(error.find("pid " + std::to_string(getpid())), std::string::npos) << error;
    // Another mapping of the same region (as another process would have) is refused too.
    auto other_mapping = Region::attach(instance_, error);
    ASSERT_TRUE(other_mapping) << error;
    EXPECT_FALSE(SaTableWriter::acquire(*other_mapping, error));
    first.reset();
    EXPECT_EQ(region_->header().writer_pid.load(), 0);
    auto second = SaTableWriter::acquire(*other_mapping, error);
    EXPECT_TRUE(second) << error;
}

TEST_F(Shm, AWriterInAnotherProcessIsNamedAndItsDeathReleasesTheRole) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::string child_error;
        auto region = Region::attach(instance_, child_error);
        auto writer = region ? SaTableWriter::acquire(*region, child_error) : nullptr;
        const char ok = writer ? '1' : '0';
        (void)!write(ready[1], &ok, 1);
        pause();  // holds the role until killed
        _exit(0);
    }
    char ok = 0;
    ASSERT_EQ(read(ready[0], &ok, 1), 1);
    close(ready[0]);
    close(ready[1]);
    ASSERT_EQ(ok, '1') << "the child could not become the writer";
    std::string error;
    EXPECT_FALSE(SaTableWriter::acquire(*region_, error));
    EXPECT_NE(error.find("pid " + std::to_string(child)), std::string::npos) << error;
    kill(child, SIGKILL);  // no clean shutdown: the kernel drops the lock
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    auto writer = SaTableWriter::acquire(*region_, error);
    EXPECT_TRUE(writer) << error;
}

TEST_F(Shm, AWriterOfARemovedRegionIsRefused) {
    Region::remove(instance_);
    std::string error;
    auto fresh = Region::create(instance_, geometry_, error);
    ASSERT_TRUE(fresh) << error;
    EXPECT_FALSE(SaTableWriter::acquire(*region_, error)) << "the old mapping's file is gone";
    EXPECT_NE(error.find("removed or replaced"), std::string::npos) << error;
    EXPECT_TRUE(SaTableWriter::acquire(*fresh, error)) << error;
}

// A reader hammering lookups while the writer adds and retires SAs never sees an entry whose
// slot does not hold the SA it was looked up for.
TEST_F(Shm, LockFreeReadsStayConsistentUnderWrites) {
    region_->header().dataplane_pid.store(getpid());
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> lookups{0}, mismatches{0};
    std::thread reader_thread([&] {
        SaTableReader reader(*region_);
        reader.set_online(0, true);
        const auto dst = test::ip("239.100.1.1");
        while (!stop.load(std::memory_order_relaxed)) {
            for (uint32_t spi = 0x500; spi < 0x508; ++spi) {
                const uint32_t slot = reader.find_inbound(spi, dst);
                if (slot != kNoSlot) {
                    const SaControl& c = region_->control(slot);
                    if (c.state.load(std::memory_order_acquire) ==
                            static_cast<uint32_t>(SlotState::Active) &&
                        c.spi != spi) {
                        ++mismatches;
                    }
                }
                ++lookups;
            }
            reader.quiescent(0);
        }
        reader.set_online(0, false);
    });
    auto writer_role = acquire_writer();
    SaTableWriter& writer = *writer_role;
    std::string error;
    int failed_round = -1;
    // Start writing only once the reader is online and polling, and keep writing until it
    // has done plenty of lookups (bounded in time).
    while (lookups.load() == 0) std::this_thread::yield();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (int round = 0;
         (round < 2000 || lookups.load() < 200000) && std::chrono::steady_clock::now() < deadline;
         ++round) {
        auto slot = writer.add_sa(spec(0x500 + round % 8), error);
        if (!slot) {
            failed_round = round;
            break;
        }
        writer.retire_sa(*slot);
        // Keep a few retirements in flight, so reads overlap reuse; wait when the table
        // runs low (the reader thread may not have been scheduled for a while).
        if (writer.free_slots() < 8 && !writer.synchronize(std::chrono::seconds(5))) {
            failed_round = round;
            break;
        }
    }
    stop = true;
    reader_thread.join();
    EXPECT_EQ(failed_round, -1) << error;
    EXPECT_GT(lookups.load(), 100000u);
    EXPECT_EQ(mismatches.load(), 0u);
}

}  // namespace
}  // namespace mcsec::shm
