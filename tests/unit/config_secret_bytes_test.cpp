#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <utility>

#include "mcsec/config/secret_bytes.hpp"

namespace mcsec::config {
namespace {

SecretBytes make_secret(std::initializer_list<std::uint8_t> bytes) {
    SecretBytes secret;
    for (const auto byte : bytes) EXPECT_TRUE(secret.push_back(byte));
    return secret;
}

TEST(ConfigSecretBytes, HoldsUpToCapacity) {
    SecretBytes secret;
    for (std::size_t i = 0; i < SecretBytes::kCapacity; ++i)
        ASSERT_TRUE(secret.push_back(static_cast<std::uint8_t>(i)));
    EXPECT_FALSE(secret.push_back(0xFF));
    EXPECT_EQ(secret.size(), SecretBytes::kCapacity);
    EXPECT_EQ(secret.view()[SecretBytes::kCapacity - 1], SecretBytes::kCapacity - 1);
}

TEST(ConfigSecretBytes, MoveWipesTheSource) {
    auto source = make_secret({1, 2, 3});
    const std::uint8_t expected[] = {1, 2, 3};

    SecretBytes moved(std::move(source));
    EXPECT_TRUE(moved.equals(expected));
    EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): the point of the test

    SecretBytes assigned = make_secret({9});
    assigned = std::move(moved);
    EXPECT_TRUE(assigned.equals(expected));
    EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(ConfigSecretBytes, ClearWipes) {
    auto secret = make_secret({0xAA, 0xBB});
    const auto* data = secret.view().data();
    secret.clear();
    EXPECT_TRUE(secret.empty());
    EXPECT_EQ(data[0], 0);
    EXPECT_EQ(data[1], 0);
}

TEST(ConfigSecretBytes, EqualsComparesSizeAndContent) {
    const auto secret = make_secret({1, 2});
    const std::uint8_t same[] = {1, 2};
    const std::uint8_t other[] = {1, 3};
    const std::uint8_t longer[] = {1, 2, 3};
    EXPECT_TRUE(secret.equals(same));
    EXPECT_FALSE(secret.equals(other));
    EXPECT_FALSE(secret.equals(longer));
}

TEST(ConfigSecretBytes, PrintsRedacted) {
    const auto secret = make_secret({0x41, 0x42, 0x43});
    std::ostringstream out;
    out << secret;
    EXPECT_EQ(out.str(), "<redacted 3 bytes>");
    // GoogleTest uses operator<< too, so a failing assertion cannot print key bytes either.
    EXPECT_EQ(::testing::PrintToString(secret), "<redacted 3 bytes>");
}

}  // namespace
}  // namespace mcsec::config
