// The dataplane's logic without DPDK: EAL arguments, Ethernet helpers, manual keying into the
// shared-memory tables, and a full red -> black -> red trip through SaCache, OutboundPolicy
// and the shared-memory SAD.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "mcsec/config/loader.hpp"
#include "mcsec/dataplane/eal_args.hpp"
#include "mcsec/dataplane/ethernet.hpp"
#include "mcsec/dataplane/manual_keying.hpp"
#include "mcsec/dataplane/outbound_policy.hpp"
#include "mcsec/dataplane/sa_cache.hpp"
#include "mcsec/dataplane/sender_id_conflicts.hpp"
#include "mcsec/dataplane/seq_reserver.hpp"
#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "mcsec/shm/keying/region_geometry.hpp"
#include "mcsec/shm/keying/sa_builder.hpp"
#include "temp_dir.hpp"
#include "test_packets.hpp"

namespace mcsec::dataplane {
namespace {

config::ApplianceConfig load(const std::string& name) {
    auto r = config::load_config_file(std::string(MCSEC_SAMPLES_DIR) + "/" + name);
    EXPECT_TRUE(r.ok()) << r.errors_to_string();
    return std::move(r).config();
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(EalArguments, VdevsWithoutHugepages) {
    const auto cfg = load("lab-site1.toml");
    const auto args = eal_arguments(cfg);
    EXPECT_TRUE(has(args, "--no-pci"));
    EXPECT_TRUE(has(args, "--no-huge"));
    EXPECT_TRUE(has(args, "--vdev"));
    EXPECT_TRUE(has(args, "mcsec-site1"));  // file prefix per instance
    EXPECT_FALSE(has(args, "--in-memory"));
}

TEST(EalArguments, PciDevicesAreAllowListedWithHugepages) {
    const auto cfg = load("two-nic-box.toml");
    const auto args = eal_arguments(cfg);
    EXPECT_FALSE(has(args, "--no-pci"));
    EXPECT_TRUE(has(args, "-a"));
    EXPECT_TRUE(has(args, "--in-memory"));
    EXPECT_EQ(ethdev_name("net_af_packet0,iface=vr1,framecnt=4096"), "net_af_packet0");
    EXPECT_EQ(ethdev_name("0000:03:00.0"), "0000:03:00.0");
}

TEST(Ethernet, MulticastMacs) {
    EXPECT_EQ(multicast_mac(test::ip("239.129.1.2")), (MacAddress{0x01, 0x00, 0x5e, 0x01, 1, 2}));
    EXPECT_EQ(multicast_mac(test::ip("ff3e::1:2")), (MacAddress{0x33, 0x33, 0, 1, 0, 2}));
}

TEST(Ethernet, TtlDecrementKeepsTheChecksumValid) {
    for (int ttl_value : {2, 64, 255}) {
        const auto ttl = static_cast<uint8_t>(ttl_value);
        auto p = test::udp_packet("10.0.0.1", "239.1.1.1", 8, 0, ttl);
        ASSERT_TRUE(decrement_ttl(p.data()));
        EXPECT_EQ(p[8], ttl - 1);
        EXPECT_EQ(esp::internet_checksum(p.data(), 20), 0) << int(ttl);
    }
    auto last = test::udp_packet("10.0.0.1", "239.1.1.1", 8, 0, 1);
    EXPECT_FALSE(decrement_ttl(last.data()));
    auto v6 = test::udp_packet("2001:db8::1", "ff3e::1", 8, 0, 1);
    EXPECT_FALSE(decrement_ttl(v6.data()));
}

class ManualKeys : public ::testing::Test {
  protected:
    void SetUp() override {
        cfg_ = load("lab-site1.toml");
        cfg_.instance.name = "test-mk-" + std::to_string(getpid());
        shm::Region::remove(cfg_.instance.name);
        std::string error;
        region_ = shm::Region::create(cfg_.instance.name, shm::region_geometry(cfg_), error);
        ASSERT_TRUE(region_) << error;
    }
    void TearDown() override { shm::Region::remove(cfg_.instance.name); }

    config::ApplianceConfig cfg_;
    std::unique_ptr<shm::Region> region_;
};

TEST_F(ManualKeys, PublishesSasAndPoliciesIdempotently) {
    std::string error;
    auto writer = shm::SaTableWriter::acquire(*region_, error);
    ASSERT_TRUE(writer) << error;
    ASSERT_TRUE(apply_manual_keys(cfg_, *region_, *writer, 100, error)) << error;
    shm::SaTableReader reader(*region_);
    const uint32_t slot = reader.find_inbound(0x1001, test::ip("239.255.1.1"));
    ASSERT_NE(slot, shm::kNoSlot);
    auto policy = reader.find_policy(test::ip("239.1.1.1"), test::ip("10.1.0.10"));
    ASSERT_TRUE(policy);
    EXPECT_EQ(shm::policy_action(*policy), shm::PolicyAction::Protect);
    EXPECT_EQ(shm::policy_slot(*policy), slot);
    EXPECT_EQ(
        shm::policy_action(*reader.find_policy(test::ip("239.1.1.99"), test::ip("10.1.0.10"))),
        shm::PolicyAction::Discard);
    EXPECT_EQ(region_->control(slot).sender_id, cfg_.instance.sender_id);

    region_->runtime(slot).outbound.last_seq = 42;  // traffic was sent
    writer.reset();
    auto again = shm::SaTableWriter::acquire(*region_, error);
    ASSERT_TRUE(again) << error;
    ASSERT_TRUE(apply_manual_keys(cfg_, *region_, *again, 200, error)) << error;
    EXPECT_EQ(reader.find_inbound(0x1001, test::ip("239.255.1.1")), slot);
    EXPECT_EQ(region_->runtime(slot).outbound.last_seq, 42u) << "counters must survive";
}

TEST_F(ManualKeys, RedToBlackToRedThroughTheSharedTables) {
    std::string error;
    auto writer_role = shm::SaTableWriter::acquire(*region_, error);
    ASSERT_TRUE(writer_role) << error;
    shm::SaTableWriter& writer = *writer_role;
    ASSERT_TRUE(apply_manual_keys(cfg_, *region_, writer, 0, error)) << error;
    // As the dataplane does before its lcores start: the SAs' first sequence numbers go on
    // disk in the nonce ledger.
    test::TempDir state;
    auto ledger = NonceLedger::open(state.path(), cfg_.instance.name, error);
    ASSERT_TRUE(ledger) << error;
    SeqReserver reserver(*region_, ledger.get(), nullptr);
    EXPECT_EQ(reserver.poll().ready, 2u);
    auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    shm::SaTableReader reader(*region_);
    SaCache cache(*region_, *engine);
    OutboundPolicy policy(reader, cache);
    esp::EspEncap encap(*engine);
    // The far side: another appliance with the same keys and another sender ID (on its own
    // region). Our own packets looped back would be dropped as own_sender_id.
    config::ApplianceConfig far_cfg = load("lab-site1.toml");
    far_cfg.instance.name = cfg_.instance.name + "-far";
    far_cfg.instance.sender_id = static_cast<uint16_t>(cfg_.instance.sender_id + 1);
    shm::Region::remove(far_cfg.instance.name);
    auto far = shm::Region::create(far_cfg.instance.name, shm::region_geometry(far_cfg), error);
    struct RemoveAtEnd {
        std::string name;
        ~RemoveAtEnd() { shm::Region::remove(name); }
    } remove_far{far_cfg.instance.name};
    ASSERT_TRUE(far) << error;
    auto far_writer = shm::SaTableWriter::acquire(*far, error);
    ASSERT_TRUE(far_writer) << error;
    ASSERT_TRUE(apply_manual_keys(far_cfg, *far, *far_writer, 0, error)) << error;
    shm::SaTableReader far_reader(*far);
    SaCache far_cache(*far, *engine);
    ShmInboundLookup lookup(far_reader, far_cache);
    esp::EspDecap decap(*engine, lookup);

    for (const char* group : {"239.1.1.1", "ff1e::1:1"}) {
        SCOPED_TRACE(group);
        const bool v6 = std::string(group).find(':') != std::string::npos;
        const auto inner = test::udp_packet(v6 ? "fd00:1::10" : "10.1.0.10", group, 100);
        test::TestPacket p(inner);
        policy.begin_burst();
        const OutboundVerdict v = policy.classify(p.buffer());
        ASSERT_EQ(v.action, shm::PolicyAction::Protect);
        esp::PacketBuffer* pkts[1] = {p.ptr()};
        esp::OutboundSa* osas[1] = {v.sa};
        esp::DropReason reasons[1];
        ASSERT_EQ(encap.process(pkts, osas, reasons, 0), 1u);
        esp::InboundSa* isas[1];
        ASSERT_EQ(decap.process(pkts, isas, reasons, 0), 1u) << esp::counter_name(reasons[0]);
        EXPECT_EQ(p.bytes(), inner);
    }
    // A source outside the IPv6 group's selector is discarded on the way out.
    test::TestPacket stranger(test::udp_packet("fd00:9::10", "ff1e::1:1", 10));
    EXPECT_EQ(policy.classify(stranger.buffer()).action, shm::PolicyAction::Discard);
    // A group without policy is discarded: fail closed.
    test::TestPacket unknown(test::udp_packet("10.1.0.10", "239.7.7.7", 10));
    const auto v = policy.classify(unknown.buffer());
    EXPECT_EQ(v.action, shm::PolicyAction::Discard);
    EXPECT_EQ(v.reason, esp::DropReason::NoPolicy);
    EXPECT_EQ(cache.builds(), 2u);

    // Our own packet coming back (or a second box with our sender_id) is refused and counted.
    ShmInboundLookup own_lookup(reader, cache);
    esp::EspDecap own_decap(*engine, own_lookup);
    test::TestPacket p(test::udp_packet("10.1.0.10", "239.1.1.1", 100));
    policy.begin_burst();
    esp::PacketBuffer* pkts[1] = {p.ptr()};
    esp::OutboundSa* osas[1] = {policy.classify(p.buffer()).sa};
    esp::DropReason reasons[1];
    ASSERT_EQ(encap.process(pkts, osas, reasons, 0), 1u);
    esp::InboundSa* isas[1];
    EXPECT_EQ(own_decap.process(pkts, isas, reasons, 0), 0u);
    EXPECT_EQ(reasons[0], esp::DropReason::OwnSenderId);
    const uint32_t slot = reader.find_inbound(0x1001, test::ip("239.255.1.1"));
    EXPECT_EQ(region_->runtime(slot).inbound.own_sender_id_packets, 1u);
    // The dataplane's watch reports it once, with the SPI and the sender ID.
    SenderIdConflictWatch watch(*region_);
    const auto conflicts = watch.poll();
    ASSERT_EQ(conflicts.size(), 1u);
    EXPECT_EQ(conflicts[0].spi, 0x1001u);
    EXPECT_EQ(conflicts[0].sender_id, cfg_.instance.sender_id);
    EXPECT_EQ(conflicts[0].new_packets, 1u);
    EXPECT_NE(conflicts[0].describe().find("same sender_id"), std::string::npos);
    EXPECT_TRUE(watch.poll().empty());
}

TEST_F(ManualKeys, CacheSeesAReplacedSaWithinOneLookup) {
    std::string error;
    auto writer_role = shm::SaTableWriter::acquire(*region_, error);
    ASSERT_TRUE(writer_role) << error;
    shm::SaTableWriter& writer = *writer_role;
    ASSERT_TRUE(apply_manual_keys(cfg_, *region_, writer, 0, error)) << error;
    auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    shm::SaTableReader reader(*region_);
    SaCache cache(*region_, *engine);
    OutboundPolicy policy(reader, cache);
    test::TestPacket p(test::udp_packet("10.1.0.10", "239.1.1.1", 10));
    const esp::OutboundSa* old_sa = policy.classify(p.buffer()).sa;
    ASSERT_NE(old_sa, nullptr);
    EXPECT_EQ(old_sa->spi, 0x1001u);

    // Make-before-break: a new SA next to the old one, then the policy switches to it.
    auto spec = *shm::manual_sa_spec(cfg_, cfg_.manual_sas[0], 0, error);
    spec.spi = 0x2001;
    std::vector<uint8_t> new_key(spec.key.begin(), spec.key.end());
    new_key[0] ^= 1;  // a rollover brings a new key (the writer refuses a second SA on one key)
    spec.key = new_key;
    const auto slot = writer.add_sa(spec, error);
    ASSERT_TRUE(slot) << error;
    ASSERT_TRUE(
        writer.set_policy(test::ip("239.1.1.1"), std::nullopt, shm::PolicyAction::Protect, *slot));
    policy.begin_burst();  // the lcore's next burst
    EXPECT_EQ(policy.classify(p.buffer()).sa->spi, 0x2001u);
    EXPECT_NE(reader.find_inbound(0x1001, test::ip("239.255.1.1")), shm::kNoSlot)
        << "the old inbound SA stays until it is retired";
}

}  // namespace
}  // namespace mcsec::dataplane
