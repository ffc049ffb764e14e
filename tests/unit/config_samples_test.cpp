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
    ASSERT_GE(samples.size(), 2U);
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
