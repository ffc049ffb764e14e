// Property test of the outbound SPD (issue 11): thousands of random configurations with
// overlapping source prefixes of every length, all three actions, IPv4 and IPv6, written into a
// real shared-memory region by apply_manual_keys (what the dataplane runs), and random red
// packets through the real outbound classification. A reference SPD written from RFC 4301
// 4.4.1 (spd_model.cpp) decides each packet; any other verdict fails, and a BYPASS where the
// reference says PROTECT or DISCARD (plaintext on black) is reported as such.
//
// The seed is fixed; MCSEC_SPD_SEED=<n> runs another one. A failure prints the seed, the
// config and the first wrong packet.
#include <gtest/gtest.h>
#include <unistd.h>
#include <stdexcept>

#include <map>

#include "mcsec/config/loader.hpp"
#include "mcsec/dataplane/manual_keying.hpp"
#include "mcsec/shm/keying/region_geometry.hpp"
#include "spd_model.hpp"
#include "test_packets.hpp"

namespace mcsec::dataplane {
namespace {

TEST(SpdProperty, ManualKeyingMatchesTheRfc4301Reference) {
    const uint64_t seed = test::spd_seed(0x5bd11);
    std::mt19937_64 rng(seed);
    const std::string instance = "spdprop-" + std::to_string(getpid());
    constexpr int kConfigs = 2000;
    constexpr size_t kPackets = 64;
    test::SpdCheck check;
    std::string plaintext_where, wrong_where;  // the configs of the first failures
    for (int c = 0; c < kConfigs; ++c) {
        const std::string text = test::random_spd_config(rng, instance, true);
        const std::string where =
            "seed " + std::to_string(seed) + ", config " + std::to_string(c) + ":\n" + text;
        auto loaded = config::load_config_string(text, "spd-property.toml");
        ASSERT_TRUE(loaded.ok()) << where << loaded.errors_to_string();
        const config::ApplianceConfig cfg = std::move(loaded).config();

        shm::Region::remove(instance);
        std::string error;
        auto region = shm::Region::create(instance, shm::region_geometry(cfg), error);
        ASSERT_TRUE(region) << error;
        {
            std::string writer_error;
            auto writer_role = shm::SaTableWriter::acquire(*region, writer_error);
            if (!writer_role) throw std::runtime_error(writer_error);
            shm::SaTableWriter& writer = *writer_role;
            ASSERT_TRUE(apply_manual_keys(cfg, *region, writer, 0, error)) << where << error;
        }
        std::map<const config::Group*, uint32_t> spi_of;
        for (const auto& sa : cfg.manual_sas) spi_of[cfg.find_group(sa.group, sa.source)] = sa.spi;
        const auto packets = test::random_red_packets(rng, cfg, kPackets);
        test::check_outbound_verdicts(
            cfg, *region, packets,
            [&](const config::Group& g) -> std::optional<uint32_t> {
                const auto it = spi_of.find(&g);
                if (it == spi_of.end()) return std::nullopt;
                return it->second;
            },
            check);
        region.reset();
        shm::Region::remove(instance);
        if (check.plaintext > 0 && plaintext_where.empty()) plaintext_where = where;
        if (check.wrong > 0 && wrong_where.empty()) wrong_where = where;
    }
    EXPECT_EQ(check.plaintext, 0u) << plaintext_where << check.first_plaintext;
    EXPECT_EQ(check.wrong, 0u) << wrong_where << check.first_failure;
    EXPECT_EQ(check.packets, kConfigs * kPackets);
    // Every case came up, many times over.
    EXPECT_GT(check.protect, 10000u);
    EXPECT_GT(check.bypass, 10000u);
    EXPECT_GT(check.discard, 10000u);
    EXPECT_GT(check.no_entry, 5000u);
    EXPECT_GT(check.overlapping, 10000u);
    EXPECT_GT(check.ipv6, 20000u);
    std::printf(
        "%lu packets: %lu protect, %lu bypass, %lu discard, %lu without entry; %lu matched "
        "by several entries; %lu IPv6\n",
        check.packets, check.protect, check.bypass, check.discard, check.no_entry,
        check.overlapping, check.ipv6);
}

// The region a config asks for holds every entry it has: 10,000 source prefixes of one group
// (5,000 /24s and a /32 inside each) and its any-source entry, each found by its own sources.
TEST(SpdCapacity, TenThousandSourcePrefixesOfOneGroupFit) {
    std::mt19937_64 rng(1);
    std::string text = test::random_spd_config(rng, "spdcap", true);  // for its ports etc.
    text = text.substr(0, text.find("[[groups]]"));
    text += "[[groups]]\naddress = \"239.9.9.9\"\naction = \"discard\"\n";
    for (int i = 0; i < 10000; ++i) {
        const int k = i / 2;
        text += "[[groups]]\naddress = \"239.9.9.9\"\nsource = \"10." + std::to_string(k / 256) +
                "." + std::to_string(k % 256) + (i % 2 ? ".77/32" : ".0/24") + "\"\naction = \"" +
                (i % 2 ? "bypass" : "discard") + "\"\n";
    }
    text +=
        "[[groups]]\naddress = \"239.9.9.8\"\npolicy = \"p\"\n[identity]\npsk_file = \"psk\"\n"
        "[keying]\nmode = \"manual\"\n[[manual_sas]]\ngroup = \"239.9.9.8\"\nspi = 4096\n"
        "key_hex = \"000102030405060708090a0b0c0d0e0f10111213\"\n";
    auto loaded = config::load_config_string(text, "spd-capacity.toml");
    ASSERT_TRUE(loaded.ok()) << loaded.errors_to_string();
    const config::ApplianceConfig cfg = std::move(loaded).config();
    ASSERT_EQ(cfg.groups.size(), 10002u);
    const std::string instance = "spdcap-" + std::to_string(getpid());
    shm::Region::remove(instance);
    std::string error;
    auto region = shm::Region::create(instance, shm::region_geometry(cfg), error);
    ASSERT_TRUE(region) << error;
    std::string writer_error;
    auto writer_role = shm::SaTableWriter::acquire(*region, writer_error);
    if (!writer_role) throw std::runtime_error(writer_error);
    shm::SaTableWriter& writer = *writer_role;
    ASSERT_TRUE(apply_manual_keys(cfg, *region, writer, 0, error)) << error;
    EXPECT_EQ(writer.policies().size(), 10002u);
    shm::SaTableReader reader(*region);
    const auto group = test::ip("239.9.9.9");
    for (int k = 0; k < 5000; ++k) {
        const std::string prefix = "10." + std::to_string(k / 256) + "." + std::to_string(k % 256);
        ASSERT_EQ(shm::policy_action(*reader.find_policy(group, test::ip(prefix + ".77"))),
                  shm::PolicyAction::Bypass)
            << prefix;
        ASSERT_EQ(shm::policy_action(*reader.find_policy(group, test::ip(prefix + ".78"))),
                  shm::PolicyAction::Discard)
            << prefix;
    }
    writer_role.reset();  // the writer before the region it writes
    region.reset();
    shm::Region::remove(instance);
}

}  // namespace
}  // namespace mcsec::dataplane
