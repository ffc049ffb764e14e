// mcsec-controld's parts without sockets: the SA installer's make-before-break against a real
// shared-memory region, the startup timestamp, and the key check value.
#include <gtest/gtest.h>
#include <unistd.h>
#include <stdexcept>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "key_check_value.hpp"
#include "mcsec/config/loader.hpp"
#include "mcsec/shm/keying/region_geometry.hpp"
#include "mcsec/shm/sa_table.hpp"
#include "sa_installer.hpp"
#include "spd_model.hpp"
#include "startup_timestamp.hpp"
#include "test_packets.hpp"

namespace mcsec::control {
namespace {

using namespace std::chrono_literals;

constexpr const char* kConfig = R"(schema_version = 1
[instance]
name = "ctld"
sender_id = 7
[[ports]]
name = "red0"
role = "red"
device = "net_null0"
addresses = ["10.1.0.1/24"]
[[ports]]
name = "black0"
role = "black"
device = "net_null1"
addresses = ["192.0.2.1/24"]
[[policies]]
name = "p"
transform = "aes-gcm-128"
[[groups]]
address = "239.1.1.1"
black_group = "239.255.1.1"
policy = "p"
[[groups]]
address = "239.2.2.2"
action = "bypass"
[[groups]]
address = "239.3.3.3"
action = "discard"
[identity]
psk_file = "psk"
[discovery]
group = "239.192.0.1"
port = 7400
[keying]
mode = "mike"
)";

config::SecretBytes key(uint8_t seed) {
    config::SecretBytes k;
    for (uint8_t i = 0; i < 20; ++i) k.push_back(static_cast<uint8_t>(seed + i));
    return k;
}

class Installer : public ::testing::Test {
  protected:
    void SetUp() override {
        auto loaded = config::load_config_string(kConfig, "controld_test.toml");
        ASSERT_TRUE(loaded.ok()) << loaded.errors_to_string();
        config_ = std::move(loaded).config();
        config_.instance.name = "ctldtest" + std::to_string(getpid());
        shm::Region::remove(config_.instance.name);
        std::string error;
        region_ = shm::Region::create(config_.instance.name, shm::region_geometry(config_), error);
        ASSERT_TRUE(region_) << error;
        installer_ =
            std::make_unique<SaInstaller>(config_, *region_, InstallerDelays{100ms, 400ms});
        ASSERT_TRUE(installer_->start(error)) << error;
    }
    void TearDown() override {
        installer_.reset();
        shm::Region::remove(config_.instance.name);
    }
    const config::Group& group() const { return config_.groups[0]; }
    uint32_t inbound(uint32_t spi) const {
        return shm::SaTableReader(*region_).find_inbound(spi, test::ip("239.255.1.1"));
    }
    // What senders of 239.1.1.1 use: the SA slot, or kNoSlot.
    uint32_t sending_slot() const {
        auto v =
            shm::SaTableReader(*region_).find_policy(test::ip("239.1.1.1"), test::ip("10.1.0.10"));
        if (!v || shm::policy_action(*v) != shm::PolicyAction::Protect) return shm::kNoSlot;
        return shm::policy_slot(*v);
    }

    config::ApplianceConfig config_;
    std::unique_ptr<shm::Region> region_;
    std::unique_ptr<SaInstaller> installer_;
    std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

TEST_F(Installer, PoliciesWithoutKeysArePublishedAtStart) {
    shm::SaTableReader reader(*region_);
    auto bypass = reader.find_policy(test::ip("239.2.2.2"), test::ip("10.1.0.10"));
    auto discard = reader.find_policy(test::ip("239.3.3.3"), test::ip("10.1.0.10"));
    ASSERT_TRUE(bypass && discard);
    EXPECT_EQ(shm::policy_action(*bypass), shm::PolicyAction::Bypass);
    EXPECT_EQ(shm::policy_action(*discard), shm::PolicyAction::Discard);
    EXPECT_EQ(sending_slot(), shm::kNoSlot);  // protected, no key yet: fail closed
}

TEST_F(Installer, ReceiversFirstThenSendersThenTheOldSaGoes) {
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 7, t0_, error)) << error;
    const uint32_t first = inbound(0x1111);
    EXPECT_NE(first, shm::kNoSlot);           // accepted inbound at once
    EXPECT_EQ(sending_slot(), shm::kNoSlot);  // senders wait for the activation delay
    installer_->run_due(t0_ + 99ms);
    EXPECT_EQ(sending_slot(), shm::kNoSlot);
    installer_->run_due(t0_ + 100ms);
    EXPECT_EQ(sending_slot(), first);

    const auto t1 = t0_ + 1s;
    ASSERT_TRUE(installer_->install(group(), 0x2222, key(2), 7, t1, error)) << error;
    const uint32_t second = inbound(0x2222);
    EXPECT_NE(second, shm::kNoSlot);
    EXPECT_EQ(sending_slot(), first);  // both accepted, senders still on the old one
    installer_->run_due(t1 + 100ms);
    EXPECT_EQ(sending_slot(), second);
    EXPECT_NE(inbound(0x1111), shm::kNoSlot);  // late packets of the old epoch still decrypt
    installer_->run_due(t1 + 100ms + 399ms);
    EXPECT_NE(inbound(0x1111), shm::kNoSlot);
    installer_->run_due(t1 + 100ms + 400ms);
    EXPECT_EQ(inbound(0x1111), shm::kNoSlot);  // retired after the deactivation delay
    EXPECT_NE(inbound(0x2222), shm::kNoSlot);

    const auto snapshot = installer_->snapshot().at("239.1.1.1");
    EXPECT_EQ(snapshot.sending_spi, 0x2222u);
    EXPECT_EQ(snapshot.receiving_spis, std::vector<uint32_t>{0x2222});
}

TEST_F(Installer, AQuickSecondEpochNeverSendsOnTheOlderOne) {
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 7, t0_, error));
    ASSERT_TRUE(installer_->install(group(), 0x2222, key(2), 7, t0_ + 10ms, error));
    installer_->run_due(t0_ + 100ms);  // the first epoch's switch is due, but it is outdated
    EXPECT_EQ(sending_slot(), shm::kNoSlot);
    installer_->run_due(t0_ + 110ms);
    EXPECT_EQ(sending_slot(), inbound(0x2222));
}

TEST_F(Installer, TheSaCarriesTheSenderIdOfItsKeyNotTheConfigs) {
    // MIKE gives each holder of a key its own RFC 6054 sender ID; the config says 7.
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 3, t0_, error)) << error;
    ASSERT_TRUE(installer_->install(group(), 0x2222, key(2), 5, t0_ + 10ms, error)) << error;
    EXPECT_EQ(region_->control(inbound(0x1111)).sender_id, 3);
    EXPECT_EQ(region_->control(inbound(0x2222)).sender_id, 5);
    const auto sas = installer_->snapshot().at("239.1.1.1").sas;
    ASSERT_EQ(sas.size(), 2u);
    EXPECT_EQ(sas[0].sender_id, 3);
    EXPECT_EQ(sas[1].sender_id, 5);
    // A restarted controld reads it back from the region.
    SaInstaller restarted(config_, *region_, InstallerDelays{100ms, 400ms});
    installer_.reset();
    ASSERT_TRUE(restarted.start(error)) << error;
    EXPECT_EQ(restarted.snapshot().at("239.1.1.1").sas.at(1).sender_id, 5);
}

TEST_F(Installer, ASecondControldOnTheRegionIsRefused) {
    SaInstaller second(config_, *region_, InstallerDelays{100ms, 400ms});
    std::string error;
    EXPECT_FALSE(second.start(error));
    EXPECT_NE(error.find("pid " + std::to_string(getpid())), std::string::npos) << error;
}

TEST_F(Installer, AnSpiAlreadyInUseIsRefused) {
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 7, t0_, error));
    error.clear();
    EXPECT_FALSE(installer_->install(group(), 0x1111, key(3), 7, t0_, error));
    EXPECT_NE(error.find("exists"), std::string::npos) << error;  // the daemon's SERVER_CONFLICT
}

TEST_F(Installer, SoftExpiryOfTheSendingSaIsSeen) {
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 7, t0_, error));
    installer_->run_due(t0_ + 100ms);
    EXPECT_FALSE(installer_->sending_sa_soft_expired(group()));
    region_->runtime(inbound(0x1111)).outbound.soft_expired = 1;  // as the fast path marks it
    EXPECT_TRUE(installer_->sending_sa_soft_expired(group()));
}

TEST_F(Installer, OwnSenderIdPacketsOfEveryReceivingSaAreSummed) {
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 7, t0_, error));
    ASSERT_TRUE(installer_->install(group(), 0x2222, key(2), 7, t0_ + 10ms, error));
    EXPECT_EQ(installer_->own_sender_id_packets("239.1.1.1"), 0u);
    region_->runtime(inbound(0x1111)).inbound.own_sender_id_packets = 2;  // as decap counts
    region_->runtime(inbound(0x2222)).inbound.own_sender_id_packets = 3;
    EXPECT_EQ(installer_->own_sender_id_packets("239.1.1.1"), 5u);
    EXPECT_EQ(installer_->own_sender_id_packets("239.9.9.9"), 0u);
}

TEST_F(Installer, ARestartedControldAdoptsAndLaterRetiresThePreviousSas) {
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 7, t0_, error));
    installer_->run_due(t0_ + 100ms);
    SaInstaller restarted(config_, *region_, InstallerDelays{100ms, 400ms});
    installer_.reset();
    ASSERT_TRUE(restarted.start(error)) << error;
    EXPECT_EQ(restarted.snapshot().at("239.1.1.1").receiving_spis, std::vector<uint32_t>{0x1111});
    const auto t1 = t0_ + 1s;
    ASSERT_TRUE(restarted.install(group(), 0x2222, key(2), 8, t1, error));
    restarted.run_due(t1 + 100ms);
    restarted.run_due(t1 + 500ms);
    EXPECT_EQ(inbound(0x1111), shm::kNoSlot);
    EXPECT_NE(inbound(0x2222), shm::kNoSlot);
}

// An entry an earlier config left in the region (here a BYPASS wider than nothing the config
// has) goes when controld starts: only the config's entries apply to traffic.
TEST_F(Installer, EntriesOfAnEarlierConfigAreRemovedAtStart) {
    const auto stale_group = test::ip("239.1.1.1");
    const esp::SourcePrefix stale{test::ip("10.0.0.0"), 104};
    installer_.reset();  // the writer role goes with it
    {
        std::string earlier_error;
        auto earlier_role = shm::SaTableWriter::acquire(*region_, earlier_error);
        if (!earlier_role) throw std::runtime_error(earlier_error);
        shm::SaTableWriter& earlier = *earlier_role;
        ASSERT_TRUE(earlier.set_policy(stale_group, stale, shm::PolicyAction::Bypass));
        ASSERT_TRUE(
            earlier.set_policy(test::ip("239.9.9.9"), std::nullopt, shm::PolicyAction::Bypass));
    }
    SaInstaller restarted(config_, *region_, InstallerDelays{100ms, 400ms});
    std::string error;
    ASSERT_TRUE(restarted.start(error)) << error;
    shm::SaTableReader reader(*region_);
    EXPECT_FALSE(reader.find_policy(test::ip("239.9.9.9"), test::ip("10.1.0.10")));
    EXPECT_FALSE(reader.find_policy_entry(stale_group, stale));
    EXPECT_EQ(sending_slot(), shm::kNoSlot);  // the group's own entry: PROTECT, no key yet
    auto v = reader.find_policy(stale_group, test::ip("10.1.0.10"));
    ASSERT_TRUE(v);
    EXPECT_EQ(shm::policy_action(*v), shm::PolicyAction::Protect);
}

// A restarted controld leaves the entry senders use alone: traffic goes on under the old key
// until a new epoch switches.
TEST_F(Installer, ARestartKeepsSendersOnTheAdoptedSa) {
    std::string error;
    ASSERT_TRUE(installer_->install(group(), 0x1111, key(1), 7, t0_, error));
    installer_->run_due(t0_ + 100ms);
    const uint32_t sending = sending_slot();
    ASSERT_NE(sending, shm::kNoSlot);
    installer_.reset();
    SaInstaller restarted(config_, *region_, InstallerDelays{100ms, 400ms});
    ASSERT_TRUE(restarted.start(error)) << error;
    EXPECT_EQ(sending_slot(), sending);
}

// The property test of spd_property_test.cpp through controld's path: random configs (mike
// keying), SaInstaller::start(), then a key per protected entry, install() and the switch in
// run_due(). Before the keys, protected traffic is discarded (never sent in the clear through
// a wider BYPASS); after, every verdict is the RFC 4301 reference's.
TEST(SaInstallerProperty, RandomConfigsMatchTheRfc4301Reference) {
    const uint64_t seed = test::spd_seed(0x5bd12);
    std::mt19937_64 rng(seed);
    const std::string instance = "ctldprop-" + std::to_string(getpid());
    constexpr int kConfigs = 1000;
    test::SpdCheck before, after;
    std::string before_where, after_where;
    for (int c = 0; c < kConfigs; ++c) {
        const std::string text = test::random_spd_config(rng, instance, false);
        const std::string where =
            "seed " + std::to_string(seed) + ", config " + std::to_string(c) + ":\n" + text;
        auto loaded = config::load_config_string(text, "controld-property.toml");
        ASSERT_TRUE(loaded.ok()) << where << loaded.errors_to_string();
        const config::ApplianceConfig cfg = std::move(loaded).config();
        shm::Region::remove(instance);
        std::string error;
        auto region = shm::Region::create(instance, shm::region_geometry(cfg), error);
        ASSERT_TRUE(region) << error;
        const auto packets = test::random_red_packets(rng, cfg, 64);
        {
            SaInstaller installer(cfg, *region, InstallerDelays{100ms, 400ms});
            ASSERT_TRUE(installer.start(error)) << where << error;
            test::check_outbound_verdicts(
                cfg, *region, packets,
                [](const config::Group&) { return std::optional<uint32_t>(); }, before);
            if (before.wrong > 0 && before_where.empty()) before_where = where;

            // Keys in a random order; senders switch at once (all due at the same time).
            std::vector<const config::Group*> protect;
            for (const auto& g : cfg.groups) {
                if (g.action == config::GroupAction::Protect) protect.push_back(&g);
            }
            std::shuffle(protect.begin(), protect.end(), rng);
            std::map<const config::Group*, uint32_t> spi_of;
            const auto t0 = std::chrono::steady_clock::now();
            uint32_t spi = 0x2000;
            for (const config::Group* g : protect) {
                ASSERT_TRUE(
                    installer.install(*g, spi, key(static_cast<uint8_t>(spi)), 1, t0, error))
                    << where << error;
                spi_of[g] = spi++;
            }
            installer.run_due(t0 + 100ms);
            test::check_outbound_verdicts(
                cfg, *region, packets,
                [&](const config::Group& g) -> std::optional<uint32_t> {
                    const auto it = spi_of.find(&g);
                    if (it == spi_of.end()) return std::nullopt;
                    return it->second;
                },
                after);
            if (after.wrong > 0 && after_where.empty()) after_where = where;
        }
        region.reset();
        shm::Region::remove(instance);
    }
    EXPECT_EQ(before.plaintext, 0u) << before_where << before.first_plaintext;
    EXPECT_EQ(before.wrong, 0u) << before_where << before.first_failure;
    EXPECT_EQ(after.plaintext, 0u) << after_where << after.first_plaintext;
    EXPECT_EQ(after.wrong, 0u) << after_where << after.first_failure;
    EXPECT_GT(after.protect, 5000u);
    EXPECT_GT(after.bypass, 5000u);
    EXPECT_GT(after.overlapping, 5000u);
}

TEST(StartupTimestamp, GrowsAcrossRestartsEvenWhenTheClockStepsBack) {
    const auto file =
        std::filesystem::temp_directory_path() / ("mcsec-startup-" + std::to_string(getpid()));
    std::filesystem::remove(file);
    std::string warning;
    const auto now = std::chrono::system_clock::now();
    const auto first = next_startup_timestamp(file, now, warning);
    const auto second = next_startup_timestamp(file, now - 1h, warning);  // clock stepped back
    EXPECT_GT(second, first);
    EXPECT_TRUE(warning.empty());
    std::filesystem::remove(file);
}

TEST(KeyCheckValue, ThreeBytesOfALabelledSha256) {
    std::vector<uint8_t> bytes(20);
    for (uint8_t i = 0; i < 20; ++i) bytes[i] = i;
    // python3: hashlib.sha256(b"mcsec key check value" + bytes(range(20))).hexdigest()[:6]
    EXPECT_EQ(key_check_value(bytes), "450c27");
    bytes[0] ^= 1;
    EXPECT_NE(key_check_value(bytes), "450c27");
}

}  // namespace
}  // namespace mcsec::control
