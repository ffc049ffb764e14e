// PSK identity: the key file's format and mode, and HMAC-SHA256 sign/verify.
#include "identity_test_pki.hpp"

#include "mcsec/control/identity/load_authenticator.hpp"
#include "mcsec/control/identity/psk_authenticator.hpp"

#include <gtest/gtest.h>

namespace mcsec::control::identity::testing {
namespace {

constexpr std::string_view kKeyHex =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr std::string_view kOtherKeyHex =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

std::vector<std::uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

class PskTest : public ::testing::Test {
  protected:
    std::filesystem::path write_psk(
        const std::string& text,
        std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                      std::filesystem::perms::owner_write) {
        const auto path = dir_.path() / ("psk" + std::to_string(++files_));
        write_text(path, text, mode);
        return path;
    }

    LoadedAuthenticator load(const std::filesystem::path& path, const NodeId& node = "site1") {
        return load_authenticator({config::PskIdentity{path}}, node, Clock::now());
    }

    TempDir dir_;
    int files_ = 0;
};

TEST_F(PskTest, LoadsKeyAndRoundTrips) {
    const auto path = write_psk(std::string(kKeyHex) + "\n");
    const auto site1 = load(path, "site1");
    const auto site2 = load(path, "site2");
    ASSERT_TRUE(site1.ok()) << site1.error;
    ASSERT_TRUE(site2.ok()) << site2.error;
    EXPECT_EQ(site1.tls_credentials, nullptr);
    EXPECT_EQ(site1.authenticator->node_id(), "site1");
    EXPECT_TRUE(site1.authenticator->credential().empty());
    EXPECT_EQ(site1.authenticator->max_signature_size(), 32U);

    const auto message = bytes("hello from site1");
    const auto mac = site1.authenticator->sign(message);
    ASSERT_EQ(mac.size(), 32U);
    EXPECT_EQ(site2.authenticator->verify("site1", {}, message, mac, Clock::now()), AuthResult::Ok);
}

TEST_F(PskTest, MatchesHmacSha256) {
    // Expected value from an independent implementation:
    //   printf abc | openssl dgst -sha256 -mac HMAC -macopt hexkey:<kKeyHex>
    const auto loaded = load(write_psk(std::string(kKeyHex)));
    ASSERT_TRUE(loaded.ok()) << loaded.error;
    const auto mac = loaded.authenticator->sign(bytes("abc"));
    std::string hex;
    for (const auto byte : mac) {
        static constexpr char kDigits[] = "0123456789abcdef";
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0xf];
    }
    EXPECT_EQ(hex, "c523adb6e8584aa9c80de47e6470e9180657274b0013e4460c74ba8adae45426");
}

TEST_F(PskTest, ToleratesWhitespaceAndUppercase) {
    std::string text = "  ";
    for (std::size_t index = 0; index < kKeyHex.size(); index += 16) {
        text += std::string(kKeyHex.substr(index, 16)) + (index % 32 == 0 ? " \t" : "\r\n");
    }
    for (auto& character : text) character = static_cast<char>(std::toupper(character));
    const auto spaced = load(write_psk(text));
    const auto plain = load(write_psk(std::string(kKeyHex)));
    ASSERT_TRUE(spaced.ok()) << spaced.error;
    const auto message = bytes("m");
    EXPECT_EQ(plain.authenticator->verify("site1", {}, message, spaced.authenticator->sign(message),
                                          Clock::now()),
              AuthResult::Ok);
}

TEST_F(PskTest, RefusesNonHexWithoutEchoingIt) {
    const auto path =
        write_psk(std::string(kKeyHex.substr(0, 10)) + "zz" + std::string(kKeyHex.substr(12)));
    const auto loaded = load(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error, "PSK file " + path.string() +
                                ": byte 11 is not a hex digit; the file must hold the key as hex "
                                "digits only (whitespace allowed)");
    EXPECT_FALSE(contains(loaded.error, std::string(kKeyHex.substr(0, 10))));
}

TEST_F(PskTest, RefusesShortKey) {
    const auto path = write_psk(std::string(kKeyHex.substr(0, 62)) + "\n");
    const auto loaded = load(path);
    EXPECT_EQ(loaded.error,
              "PSK file " + path.string() +
                  ": key is 31 bytes; at least 32 bytes (64 hex digits) are required");
}

TEST_F(PskTest, RefusesOddDigitCountAndTooLongKey) {
    auto path = write_psk(std::string(kKeyHex) + "a");
    EXPECT_EQ(load(path).error, "PSK file " + path.string() + ": odd number of hex digits (65)");
    path = write_psk(std::string(kKeyHex) + std::string(kKeyHex) + "00");
    EXPECT_EQ(load(path).error,
              "PSK file " + path.string() + ": key is 65 bytes; at most 64 bytes are supported");
    path = write_psk("\n");
    EXPECT_TRUE(contains(load(path).error, "key is 0 bytes"));
}

TEST_F(PskTest, RefusesLooseFileMode) {
    using std::filesystem::perms;
    auto path = write_psk(std::string(kKeyHex), perms::owner_read | perms::owner_write |
                                                    perms::group_read | perms::others_read);
    EXPECT_EQ(load(path).error, "PSK file " + path.string() +
                                    ": mode 0644 lets group or others access a secret; it must "
                                    "be 0600 or 0400 (chmod 600 " +
                                    path.string() + ")");
    path = write_psk(std::string(kKeyHex), perms::owner_read | perms::group_read);
    EXPECT_TRUE(contains(load(path).error, "mode 0440"));
    path = write_psk(std::string(kKeyHex), perms::owner_read);
    EXPECT_TRUE(load(path).ok());
}

TEST_F(PskTest, RefusesMissingFileAndDirectory) {
    const auto missing = dir_.path() / "missing";
    EXPECT_EQ(load(missing).error,
              "PSK file " + missing.string() + ": cannot open: No such file or directory");
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all);
    EXPECT_EQ(load(dir_.path()).error, "PSK file " + dir_.path().string() + ": not a regular file");
}

TEST_F(PskTest, WrongKeyOrTamperingIsBadSignature) {
    const auto ours = load(write_psk(std::string(kKeyHex)));
    const auto theirs = load(write_psk(std::string(kOtherKeyHex)));
    const auto message = bytes("MIKE");
    auto mac = theirs.authenticator->sign(message);
    EXPECT_EQ(ours.authenticator->verify("site1", {}, message, mac, Clock::now()),
              AuthResult::BadSignature);
    mac = ours.authenticator->sign(message);
    auto tampered = message;
    tampered[0] ^= 1;
    EXPECT_EQ(ours.authenticator->verify("site1", {}, tampered, mac, Clock::now()),
              AuthResult::BadSignature);
    mac[31] ^= 1;
    EXPECT_EQ(ours.authenticator->verify("site1", {}, message, mac, Clock::now()),
              AuthResult::BadSignature);
}

TEST_F(PskTest, WrongSizeIsMalformedAndCredentialIsUntrusted) {
    const auto loaded = load(write_psk(std::string(kKeyHex)));
    const auto message = bytes("m");
    auto mac = loaded.authenticator->sign(message);
    EXPECT_EQ(
        loaded.authenticator->verify("site1", bytes("certificate"), message, mac, Clock::now()),
        AuthResult::UntrustedCredential);
    mac.pop_back();
    EXPECT_EQ(loaded.authenticator->verify("site1", {}, message, mac, Clock::now()),
              AuthResult::Malformed);
    EXPECT_EQ(loaded.authenticator->verify("site1", {}, message, {}, Clock::now()),
              AuthResult::Malformed);
}

}  // namespace
}  // namespace mcsec::control::identity::testing
