// The failed-verification cache and the authenticator decorator around it: forged bytes that
// arrive again are refused from the cache (a hash, not a signature verification), successes are
// never remembered, and what an attacker puts in is bounded and expires.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "mcsec/config/config.hpp"
#include "mcsec/control/identity/failure_caching_authenticator.hpp"
#include "mcsec/control/identity/load_authenticator.hpp"
#include "temp_dir.hpp"

namespace mcsec::control::identity {
namespace {

using namespace std::chrono_literals;
using Steady = FailedVerificationCache::Clock;
using Wall = std::chrono::system_clock;

std::vector<std::uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

// Verifies "good" as Ok, anything else as BadSignature, and counts every call: the cost the
// decorator exists to save.
class CountingAuthenticator final : public MessageAuthenticator {
  public:
    explicit CountingAuthenticator(int& calls, AuthResult failure = AuthResult::BadSignature)
        : calls_(calls), failure_(failure) {}
    const NodeId& node_id() const noexcept override { return id_; }
    std::span<const std::uint8_t> credential() const noexcept override { return {}; }
    std::size_t max_signature_size() const noexcept override { return 4; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t>) const override {
        return bytes("good");
    }
    AuthResult verify(std::string_view, std::span<const std::uint8_t>,
                      std::span<const std::uint8_t>, std::span<const std::uint8_t> signature,
                      Wall::time_point) const override {
        ++calls_;
        return std::ranges::equal(signature, bytes("good")) ? AuthResult::Ok : failure_;
    }

  private:
    NodeId id_ = "self";
    int& calls_;
    AuthResult failure_;
};

class FailureCacheTest : public ::testing::Test {
  protected:
    std::unique_ptr<FailureCachingAuthenticator> make(
        std::size_t capacity = 4096, AuthResult failure = AuthResult::BadSignature) {
        return std::make_unique<FailureCachingAuthenticator>(
            std::make_unique<CountingAuthenticator>(calls_, failure), capacity, 30s,
            [this] { return steady_; });
    }

    int calls_ = 0;
    Steady::time_point steady_{};
    const Wall::time_point wall_ = Wall::now();
    const std::vector<std::uint8_t> credential_ = bytes("cert");
    const std::vector<std::uint8_t> message_ = bytes("hello from site2");
    const std::vector<std::uint8_t> forged_ = bytes("forged signature");
};

TEST_F(FailureCacheTest, ReplayedForgeryIsVerifiedOnce) {
    const auto auth = make();
    for (int i = 0; i < 1000; ++i) {
        EXPECT_EQ(auth->verify("site2", credential_, message_, forged_, wall_),
                  AuthResult::BadSignature);
    }
    EXPECT_EQ(calls_, 1);
    EXPECT_EQ(auth->cache().hits(), 999U);
}

TEST_F(FailureCacheTest, SuccessesAreVerifiedEveryTime) {
    const auto auth = make();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(auth->verify("site2", credential_, message_, bytes("good"), wall_),
                  AuthResult::Ok);
    }
    EXPECT_EQ(calls_, 3);
    EXPECT_EQ(auth->cache().size(), 0U);
}

TEST_F(FailureCacheTest, EveryFieldIsPartOfTheKey) {
    const auto auth = make();
    auth->verify("site2", credential_, message_, forged_, wall_);
    auth->verify("site3", credential_, message_, forged_, wall_);
    auth->verify("site2", bytes("cert2"), message_, forged_, wall_);
    auth->verify("site2", credential_, bytes("hello from site2!"), forged_, wall_);
    auth->verify("site2", credential_, message_, bytes("forged signaturf"), wall_);
    // Bytes moved from the end of the message to the start of the signature: another key.
    auth->verify("site2", credential_, bytes("hello from site"), bytes("2forged signature"), wall_);
    EXPECT_EQ(calls_, 6);
}

TEST_F(FailureCacheTest, EntriesExpire) {
    const auto auth = make();
    auth->verify("site2", credential_, message_, forged_, wall_);
    steady_ += 29s;
    auth->verify("site2", credential_, message_, forged_, wall_);
    EXPECT_EQ(calls_, 1);
    steady_ += 1s;  // 30 s after the failure: checked again
    auth->verify("site2", credential_, message_, forged_, wall_);
    EXPECT_EQ(calls_, 2);
}

TEST_F(FailureCacheTest, BoundedWithLeastRecentlyUsedEviction) {
    const auto auth = make(4);
    const auto forged = [](int i) { return bytes("forged " + std::to_string(i)); };
    for (int i = 0; i < 4; ++i) auth->verify("site2", credential_, message_, forged(i), wall_);
    auth->verify("site2", credential_, message_, forged(0), wall_);  // 0 is now the most recent
    auth->verify("site2", credential_, message_, forged(4), wall_);  // evicts 1
    EXPECT_EQ(auth->cache().size(), 4U);
    EXPECT_EQ(auth->cache().evictions(), 1U);
    EXPECT_EQ(calls_, 5);
    auth->verify("site2", credential_, message_, forged(0), wall_);
    EXPECT_EQ(calls_, 5);
    auth->verify("site2", credential_, message_, forged(1), wall_);
    EXPECT_EQ(calls_, 6);
}

TEST_F(FailureCacheTest, ExpiredIsReusedOnlyNearTheSameWallTime) {
    // A certificate not yet valid becomes valid: Expired depends on the time checked for.
    const auto auth = make(4096, AuthResult::Expired);
    auth->verify("site2", credential_, message_, forged_, wall_);
    auth->verify("site2", credential_, message_, forged_, wall_ + 500ms);
    EXPECT_EQ(calls_, 1);
    auth->verify("site2", credential_, message_, forged_, wall_ + 2s);
    EXPECT_EQ(calls_, 2);
    auth->verify("site2", credential_, message_, forged_, wall_ - 24h);
    EXPECT_EQ(calls_, 3);
}

TEST(LoadAuthenticatorTest, DaemonAuthenticatorCachesFailures) {
    // What mcsec-controld loads: replayed forged bytes are answered from the cache.
    test::TempDir dir;
    const auto psk = dir.path() / "psk";
    {
        FILE* file = std::fopen(psk.c_str(), "w");
        ASSERT_NE(file, nullptr);
        std::fputs("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", file);
        std::fclose(file);
    }
    std::filesystem::permissions(
        psk, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto loaded = load_authenticator({config::PskIdentity{psk}}, "site1", Wall::now());
    ASSERT_TRUE(loaded.ok()) << loaded.error;
    const auto* caching =
        dynamic_cast<const FailureCachingAuthenticator*>(loaded.authenticator.get());
    ASSERT_NE(caching, nullptr);
    const auto message = bytes("hello");
    const auto forged = std::vector<std::uint8_t>(32, 0xAA);
    for (int i = 0; i < 10; ++i) {
        EXPECT_NE(loaded.authenticator->verify("site2", {}, message, forged, Wall::now()),
                  AuthResult::Ok);
    }
    EXPECT_EQ(caching->cache().hits(), 9U);
}

}  // namespace
}  // namespace mcsec::control::identity
