// The SA builder every SA table writer shares (the dataplane's manual keying, controld,
// mcsecctl sa): the SA a config group and key make, and the policies a config's groups get.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <vector>

#include "mcsec/config/loader.hpp"
#include "mcsec/shm/keying/group_policies.hpp"
#include "mcsec/shm/keying/region_geometry.hpp"
#include "mcsec/shm/keying/sa_builder.hpp"
#include "test_packets.hpp"

namespace mcsec::shm {
namespace {

config::ApplianceConfig load(const std::string& name) {
    auto r = config::load_config_file(std::string(MCSEC_SAMPLES_DIR) + "/" + name);
    EXPECT_TRUE(r.ok()) << r.errors_to_string();
    return std::move(r).config();
}

const config::Group& group_of(const config::ApplianceConfig& cfg, const char* address) {
    const auto* g = cfg.find_group(*config::IpAddress::parse(address), std::nullopt);
    EXPECT_NE(g, nullptr) << address;
    return *g;
}

TEST(SaBuilder, PolicySourceIsTheMappedPrefixOrAnySource) {
    config::Group g;
    g.address = *config::IpAddress::parse("239.1.1.1");
    EXPECT_FALSE(policy_source(g));
    g.source = config::Prefix::parse("0.0.0.0/0", nullptr);
    EXPECT_FALSE(policy_source(g)) << "a /0 is any source";
    g.source = config::Prefix::parse("10.1.0.0/24", nullptr);
    const auto v4 = policy_source(g);
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->length, 96 + 24) << "IPv4 prefixes in the IPv4-mapped form";
    EXPECT_EQ(v4->address, test::ip("10.1.0.0"));
    g.source = config::Prefix::parse("fd00:1::/64", nullptr);
    EXPECT_EQ(policy_source(g)->length, 64);
}

TEST(SaBuilder, GroupSaTakesTheGroupPolicyAndTheGivenSenderId) {
    const auto cfg = load("lab-site1.toml");
    const auto& group = group_of(cfg, "239.1.1.1");
    std::array<uint8_t, 20> key_and_salt{};
    for (size_t i = 0; i < key_and_salt.size(); ++i) key_and_salt[i] = static_cast<uint8_t>(i);
    std::string error;
    const auto spec = group_sa_spec(cfg, group, 0x4242, key_and_salt, 7, 1234, error);
    ASSERT_TRUE(spec) << error;
    EXPECT_EQ(spec->spi, 0x4242u);
    EXPECT_EQ(spec->sender_id, 7) << "the caller's sender ID (MIKE's), not the config's";
    EXPECT_EQ(spec->algorithm, crypto::AeadAlgorithm::AesGcm128);
    ASSERT_EQ(spec->key.size(), 16u);
    EXPECT_EQ(spec->key.data(), key_and_salt.data()) << "the key points into the caller's bytes";
    EXPECT_EQ(spec->salt, (std::array<uint8_t, 4>{16, 17, 18, 19}));
    EXPECT_EQ(spec->tunnel_destination, test::ip("239.255.1.1")) << "the group's black_group";
    EXPECT_EQ(spec->tunnel_source, test::ip("192.0.2.1")) << "the black port's address";
    EXPECT_EQ(spec->red_group, test::ip("239.1.1.1"));
    EXPECT_FALSE(spec->red_source);
    EXPECT_EQ(spec->replay_window, 1024u);
    EXPECT_EQ(spec->lifetime.hard_packets, 4'200'000'000u);
    EXPECT_EQ(spec->created_at_seconds, 1234u);
    EXPECT_EQ(spec->direction, kInbound | kOutbound);
}

TEST(SaBuilder, ManualSaIsItsGroupsSaWithTheConfigSenderId) {
    const auto cfg = load("lab-site1.toml");
    for (const auto& manual : cfg.manual_sas) {
        std::string error;
        const auto spec = manual_sa_spec(cfg, manual, 5, error);
        ASSERT_TRUE(spec) << error;
        const auto* group = cfg.find_group(manual.group, manual.source);
        ASSERT_NE(group, nullptr);
        const auto same = group_sa_spec(cfg, *group, manual.spi, manual.key_and_salt.view(),
                                        cfg.instance.sender_id, 5, error);
        ASSERT_TRUE(same) << error;
        EXPECT_EQ(spec->sender_id, cfg.instance.sender_id);
        EXPECT_EQ(spec->algorithm, same->algorithm);
        EXPECT_TRUE(
            std::equal(spec->key.begin(), spec->key.end(), same->key.begin(), same->key.end()));
        EXPECT_EQ(spec->salt, same->salt);
        EXPECT_EQ(spec->tunnel_source, same->tunnel_source);
        EXPECT_EQ(spec->tunnel_destination, same->tunnel_destination);
        EXPECT_EQ(spec->red_source.has_value(), same->red_source.has_value());
    }
    std::string error;
    const auto v6 = manual_sa_spec(cfg, cfg.manual_sas[1], 0, error);
    ASSERT_TRUE(v6) << error;
    EXPECT_EQ(v6->algorithm, crypto::AeadAlgorithm::AesGcm256);
    EXPECT_EQ(v6->tunnel_source, test::ip("2001:db8:b::1"));
    ASSERT_TRUE(v6->red_source);
    EXPECT_EQ(v6->red_source->length, 64);
}

TEST(SaBuilder, RefusesWhatDoesNotFit) {
    auto cfg = load("lab-site1.toml");
    const auto& group = group_of(cfg, "239.1.1.1");
    std::string error;
    std::vector<uint8_t> short_key(19);
    EXPECT_FALSE(group_sa_spec(cfg, group, 0x100, short_key, 1, 0, error));
    EXPECT_EQ(error, "manual SA 256: key length does not match");

    config::Group no_policy = group;
    no_policy.policy = "none";
    std::vector<uint8_t> key(20);
    EXPECT_FALSE(group_sa_spec(cfg, no_policy, 0x100, key, 1, 0, error));
    EXPECT_EQ(error, "manual SA 256: no protected group/policy");

    for (auto& port : cfg.ports) {
        if (port.role != config::PortRole::Black) continue;
        std::erase_if(port.addresses, [](const config::Prefix& p) { return p.address().is_v4(); });
    }
    EXPECT_FALSE(group_sa_spec(cfg, group, 0x100, key, 1, 0, error));
    EXPECT_EQ(error, "manual SA 256: no black address of the tunnel's family");

    config::ManualSa unknown;
    unknown.group = *config::IpAddress::parse("239.9.9.9");
    unknown.spi = 0x100;
    EXPECT_FALSE(manual_sa_spec(cfg, unknown, 0, error));
    EXPECT_EQ(error, "manual SA 256: no protected group/policy");
}

TEST(GroupPolicies, ProtectWithoutSaThenBypassAndDiscardStaleEntriesGone) {
    const auto cfg = load("lab-site1.toml");
    const std::string instance = "test-shk-" + std::to_string(getpid());
    Region::remove(instance);
    std::string error;
    auto region = Region::create(instance, region_geometry(cfg), error);
    ASSERT_TRUE(region) << error;
    auto writer = SaTableWriter::acquire(*region, error);
    ASSERT_TRUE(writer) << error;
    // A leftover of an earlier config.
    ASSERT_TRUE(writer->set_policy(test::ip("239.7.7.7"), std::nullopt, PolicyAction::Bypass));

    EXPECT_EQ(set_group_policies(cfg, *region, *writer), nullptr);
    const auto keys = writer->policies();
    EXPECT_EQ(keys.size(), cfg.groups.size());
    EXPECT_FALSE(std::any_of(keys.begin(), keys.end(), [](const SaTableWriter::PolicyKey& k) {
        return k.group == test::ip("239.7.7.7");
    })) << "the stale entry is gone";
    SaTableReader reader(*region);
    for (const auto& group : cfg.groups) {
        EXPECT_TRUE(reader.find_policy_entry(to_esp(group.address), policy_source(group)))
            << group.address.to_string();
    }
    writer.reset();
    Region::remove(instance);
}

}  // namespace
}  // namespace mcsec::shm
