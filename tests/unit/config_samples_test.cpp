// The shipped sample configurations must always load, and the fuzz seed corpus must never crash
// the loader (it also holds reproducers of past findings).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mcsec/config/loader.hpp"

namespace mcsec::config {
namespace {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& directory,
                                            std::string_view extension = {}) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        if (entry.is_regular_file() && (extension.empty() || entry.path().extension() == extension))
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

TEST(ConfigSamples, EverySampleLoads) {
    const auto samples = files_in(MCSEC_SAMPLES_DIR, ".toml");
    ASSERT_GE(samples.size(), 3U);
    for (const auto& sample : samples) {
        const auto result = load_config_file(sample);
        EXPECT_TRUE(result.ok()) << sample << ":\n" << result.errors_to_string();
    }
}

TEST(ConfigSamples, LabSiteUsesManualKeysOnAfPacket) {
    const auto result =
        load_config_file(std::filesystem::path(MCSEC_SAMPLES_DIR) / "lab-site1.toml");
    ASSERT_TRUE(result.ok()) << result.errors_to_string();
    const auto& config = result.config();
    EXPECT_EQ(config.keying.mode, KeyingMode::Manual);
    for (const auto& port : config.ports) EXPECT_EQ(port.device_kind, DeviceKind::Vdev);
    bool has_v4 = false;
    bool has_v6 = false;
    for (const auto& group : config.groups) {
        has_v4 = has_v4 || group.address.is_v4();
        has_v6 = has_v6 || group.address.is_v6();
    }
    EXPECT_TRUE(has_v4);
    EXPECT_TRUE(has_v6);
    ASSERT_EQ(config.manual_sas.size(), 2U);
    EXPECT_EQ(config.manual_sas[0].key_and_salt.size(), 20U);
    EXPECT_EQ(config.manual_sas[1].key_and_salt.size(), 36U);
    // The relative psk_file is resolved next to the sample.
    EXPECT_EQ(std::get<PskIdentity>(config.identity.credentials).psk_file,
              std::filesystem::path(MCSEC_SAMPLES_DIR) / "lab-psk.key");
    // A small lab machine: no hugepages, little memory, an lcore that sleeps when idle.
    EXPECT_EQ(config.dataplane.lcores, std::vector<std::uint16_t>{0});
    EXPECT_FALSE(config.dataplane.hugepages);
    EXPECT_EQ(config.dataplane.memory_mb, 64U);
    EXPECT_EQ(config.dataplane.idle_sleep_us, 100U);
    for (const auto& policy : config.policies) EXPECT_TRUE(policy.replay_check);
}

TEST(ConfigSamples, TwoNicBoxUsesPciMikeAndX509) {
    const auto result =
        load_config_file(std::filesystem::path(MCSEC_SAMPLES_DIR) / "two-nic-box.toml");
    ASSERT_TRUE(result.ok()) << result.errors_to_string();
    const auto& config = result.config();
    EXPECT_EQ(config.keying.mode, KeyingMode::Mike);
    for (const auto& port : config.ports) EXPECT_EQ(port.device_kind, DeviceKind::Pci);
    EXPECT_TRUE(std::holds_alternative<X509Identity>(config.identity.credentials));
    ASSERT_TRUE(config.discovery.has_value());
    EXPECT_TRUE(config.manual_sas.empty());
    EXPECT_EQ(config.dataplane.lcores, (std::vector<std::uint16_t>{2, 3}));
    EXPECT_TRUE(config.dataplane.hugepages);
    EXPECT_EQ(config.dataplane.idle_sleep_us, 0U);  // busy poll
}

TEST(ConfigSamples, PcapOfflineReplaysCapturesWithManualKeys) {
    const auto result =
        load_config_file(std::filesystem::path(MCSEC_SAMPLES_DIR) / "pcap-offline.toml");
    ASSERT_TRUE(result.ok()) << result.errors_to_string();
    const auto& config = result.config();
    ASSERT_EQ(config.ports.size(), 2U);
    EXPECT_EQ(config.ports[0].role, PortRole::Red);
    EXPECT_EQ(config.ports[0].device, "net_pcap0,rx_pcap=red-in.pcap,tx_pcap=red-out.pcap");
    EXPECT_EQ(config.ports[1].role, PortRole::Black);
    EXPECT_EQ(config.ports[1].device, "net_pcap1,rx_pcap=black-in.pcap,tx_pcap=black-out.pcap");
    for (const auto& port : config.ports) EXPECT_EQ(port.device_kind, DeviceKind::Vdev);
    ASSERT_EQ(config.ports[1].addresses.size(), 1U);
    EXPECT_EQ(config.ports[1].addresses[0].to_string(), "192.0.2.1/24");

    EXPECT_EQ(config.keying.mode, KeyingMode::Manual);
    ASSERT_EQ(config.groups.size(), 1U);
    EXPECT_EQ(config.groups[0].address.to_string(), "239.1.1.1");
    ASSERT_TRUE(config.groups[0].black_group.has_value());
    EXPECT_EQ(config.groups[0].black_group->to_string(), "239.255.1.1");
    const Policy* policy = config.find_policy(config.groups[0].policy);
    ASSERT_NE(policy, nullptr);
    EXPECT_EQ(policy->transform, Transform::AesGcm128);

    ASSERT_EQ(config.manual_sas.size(), 1U);
    EXPECT_EQ(config.manual_sas[0].spi, 0x1000U);
    const std::uint8_t key_and_salt[] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73,
                                         0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30,
                                         0x83, 0x08, 0xca, 0xfe, 0xba, 0xbe};
    EXPECT_TRUE(config.manual_sas[0].key_and_salt.equals(key_and_salt));
    EXPECT_TRUE(std::holds_alternative<PskIdentity>(config.identity.credentials));

    EXPECT_FALSE(config.dataplane.hugepages);
    EXPECT_EQ(config.dataplane.memory_mb, 64U);
    EXPECT_EQ(config.dataplane.exception_path, ExceptionPath::None);
}

TEST(ConfigSamples, FuzzCorpusNeverCrashes) {
    for (const auto& input : files_in(MCSEC_CONFIG_CORPUS_DIR)) {
        std::string text(static_cast<std::size_t>(std::filesystem::file_size(input)), '\0');
        std::ifstream(input, std::ios::binary)
            .read(text.data(), static_cast<std::streamsize>(text.size()));
        const auto result = load_config_string(text, input.filename().string());
        EXPECT_TRUE(result.ok() || !result.errors().empty()) << input;
    }
}

}  // namespace
}  // namespace mcsec::config
