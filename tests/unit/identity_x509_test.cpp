// X.509 identity: what load_authenticator() refuses at startup (and how it says so), and how
// X509Authenticator::verify() classifies peers' messages.
#include "identity_test_pki.hpp"

#include "mcsec/control/identity/failure_caching_authenticator.hpp"
#include "mcsec/control/identity/load_authenticator.hpp"
#include "mcsec/control/identity/x509_authenticator.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <filesystem>

namespace mcsec::control::identity::testing {
namespace {

std::vector<std::uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

class X509IdentityTest : public ::testing::TestWithParam<KeyKind> {
  protected:
    void SetUp() override {
        ca_ = make_ca(GetParam());
        ca_path_ = dir_.path() / "ca.pem";
        write_certificate(ca_path_, *ca_.certificate);
    }

    config::Identity identity_for(const NodeFiles& node) const {
        return {
            config::X509Identity{.ca = ca_path_, .certificate = node.certificate, .key = node.key}};
    }

    LoadedAuthenticator load(const NodeFiles& node, const NodeId& name,
                             Clock::time_point now = Clock::now()) const {
        return load_authenticator(identity_for(node), name, now);
    }

    std::unique_ptr<MessageAuthenticator> load_ok(const std::string& name) {
        const auto node = issue_node(dir_, ca_, name, GetParam(), name);
        auto loaded = load(node, name);
        EXPECT_TRUE(loaded.ok()) << loaded.error;
        return std::move(loaded.authenticator);
    }

    TempDir dir_;
    TestCa ca_;
    std::filesystem::path ca_path_;
};

INSTANTIATE_TEST_SUITE_P(Algorithms, X509IdentityTest,
                         ::testing::Values(KeyKind::Ed25519, KeyKind::P256),
                         [](const auto& param_info) {
                             return param_info.param == KeyKind::Ed25519 ? "Ed25519" : "P256";
                         });

TEST_P(X509IdentityTest, LoadsValidIdentity) {
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    const auto loaded = load(node, "site1");
    ASSERT_TRUE(loaded.ok()) << loaded.error;
    EXPECT_TRUE(loaded.error.empty());
    ASSERT_NE(loaded.tls_credentials, nullptr);
    EXPECT_EQ(loaded.authenticator->node_id(), "site1");

    BioPtr bio(BIO_new_file(node.certificate.c_str(), "r"));
    X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    const auto expected_der = der_of(*certificate);
    const auto credential = loaded.authenticator->credential();
    EXPECT_EQ(std::vector<std::uint8_t>(credential.begin(), credential.end()), expected_der);
    EXPECT_EQ(loaded.authenticator->max_signature_size(),
              GetParam() == KeyKind::Ed25519 ? 64U : 72U);
}

TEST_P(X509IdentityTest, RefusesExpiredCertificate) {
    const auto now = Clock::now();
    const auto node = issue_node(
        dir_, ca_, {.common_name = "site1", .not_before = now - 48h, .not_after = now - 24h},
        GetParam(), "site1");
    const auto loaded = load(node, "site1", now);
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(
        contains(loaded.error, "certificate " + node.certificate.string() + ": expired on "));
    EXPECT_TRUE(contains(loaded.error, "UTC (now "));
}

TEST_P(X509IdentityTest, RefusesNotYetValidCertificate) {
    const auto now = Clock::now();
    const auto node = issue_node(
        dir_, ca_, {.common_name = "site1", .not_before = now + 24h, .not_after = now + 48h},
        GetParam(), "site1");
    const auto loaded = load(node, "site1", now);
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error, node.certificate.string() + ": not valid before "));
}

TEST_P(X509IdentityTest, RefusesExpiredCa) {
    const auto now = Clock::now();
    ca_.certificate = make_certificate(
        {.common_name = "old CA", .not_before = now - 48h, .not_after = now - 24h, .is_ca = true},
        *ca_.key, nullptr, *ca_.key);
    write_certificate(ca_path_, *ca_.certificate);
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    const auto loaded = load(node, "site1", now);
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error, "CA certificate " + ca_path_.string() + ": expired on "));
}

TEST_P(X509IdentityTest, RefusesCertificateFromAnotherCa) {
    TestCa other = make_ca(GetParam(), "another CA");
    const auto node = issue_node(dir_, other, "site1", GetParam(), "site1");
    const auto loaded = load(node, "site1");
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error, "certificate " + node.certificate.string() +
                                           ": not issued by the deployment CA " +
                                           ca_path_.string()));
}

TEST_P(X509IdentityTest, RefusesKeyThatDoesNotMatch) {
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    const auto other = issue_node(dir_, ca_, "site1", GetParam(), "other");
    const auto loaded = load({node.certificate, other.key}, "site1");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error, "private key " + other.key.string() +
                                ": does not match the public key of certificate " +
                                node.certificate.string());
}

TEST_P(X509IdentityTest, RefusesWrongCommonName) {
    const auto node = issue_node(dir_, ca_, "site2", GetParam(), "site2");
    const auto loaded = load(node, "site1");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error, "certificate " + node.certificate.string() +
                                ": subject CN \"site2\" does not match instance name \"site1\"");
}

TEST_P(X509IdentityTest, RefusesRsaCertificate) {
    const auto node = issue_node(dir_, ca_, "site1", KeyKind::Rsa2048, "site1");
    const auto loaded = load(node, "site1");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error, "certificate " + node.certificate.string() +
                                ": key algorithm RSA 2048 bits is not supported; use Ed25519 or "
                                "ECDSA P-256");
}

TEST_P(X509IdentityTest, RefusesP384Certificate) {
    const auto node = issue_node(dir_, ca_, "site1", KeyKind::P384, "site1");
    const auto loaded = load(node, "site1");
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error, "key algorithm ECDSA secp384r1 is not supported"));
}

TEST_P(X509IdentityTest, RefusesMissingFiles) {
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    const auto missing = dir_.path() / "missing.pem";
    auto loaded = load({missing, node.key}, "site1");
    EXPECT_EQ(loaded.error,
              "certificate " + missing.string() + ": cannot open: No such file or directory");
    loaded = load({node.certificate, missing}, "site1");
    EXPECT_EQ(loaded.error,
              "private key " + missing.string() + ": cannot open: No such file or directory");
    ca_path_ = missing;
    loaded = load(node, "site1");
    EXPECT_EQ(loaded.error,
              "CA certificate " + missing.string() + ": cannot open: No such file or directory");
}

TEST_P(X509IdentityTest, RefusesFilesThatAreNotPem) {
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    const auto garbage = dir_.path() / "garbage";
    write_text(garbage, "not a certificate\n");
    auto loaded = load({garbage, node.key}, "site1");
    EXPECT_TRUE(contains(loaded.error, "certificate " + garbage.string() + ": no PEM certificate"));
    loaded = load({node.certificate, garbage}, "site1");
    EXPECT_TRUE(contains(loaded.error,
                         "private key " + garbage.string() + ": no unencrypted PEM private key"));
}

TEST_P(X509IdentityTest, RefusesEncryptedKeyWithoutPrompting) {
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    const EvpPkeyPtr key = generate_key(GetParam());
    const auto encrypted = dir_.path() / "encrypted.key";
    {
        BioPtr bio(BIO_new_file(encrypted.c_str(), "w"));
        static constexpr char kPassphrase[] = "secret";
        ASSERT_EQ(
            PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), kPassphrase,
                                          sizeof kPassphrase - 1, nullptr, nullptr),
            1);
    }
    std::filesystem::permissions(encrypted, std::filesystem::perms::owner_read);
    const auto loaded = load({node.certificate, encrypted}, "site1");
    EXPECT_TRUE(contains(loaded.error, "passphrase-protected keys are not supported"));
}

TEST_P(X509IdentityTest, RefusesKeyFileReadableByOthers) {
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    std::filesystem::permissions(node.key, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    const auto loaded = load(node, "site1");
    EXPECT_TRUE(contains(loaded.error, "private key " + node.key.string() +
                                           ": mode 0604 lets group or others access a secret"));
}

TEST_P(X509IdentityTest, RefusesCaFileThatIsNotACa) {
    const auto node = issue_node(dir_, ca_, "site1", GetParam(), "site1");
    ca_path_ = node.certificate;
    const auto loaded = load(node, "site1");
    EXPECT_EQ(loaded.error, "CA certificate " + node.certificate.string() +
                                ": not a CA certificate (basicConstraints CA:TRUE missing)");
}

TEST_P(X509IdentityTest, SignVerifyRoundTrip) {
    const auto site1 = load_ok("site1");
    const auto site2 = load_ok("site2");
    const auto message = bytes("IDP hello from site1");
    const auto signature = site1->sign(message);
    EXPECT_LE(signature.size(), site1->max_signature_size());
    EXPECT_EQ(site2->verify("site1", site1->credential(), message, signature, Clock::now()),
              AuthResult::Ok);
    // A node checks its own messages the same way (e.g. when they loop back).
    EXPECT_EQ(site1->verify("site1", site1->credential(), message, signature, Clock::now()),
              AuthResult::Ok);
    const auto empty_signature = site1->sign({});
    EXPECT_EQ(site2->verify("site1", site1->credential(), {}, empty_signature, Clock::now()),
              AuthResult::Ok);
}

TEST_P(X509IdentityTest, TamperedMessageOrSignatureIsBadSignature) {
    const auto site1 = load_ok("site1");
    const auto site2 = load_ok("site2");
    auto message = bytes("MIKE key update");
    auto signature = site1->sign(message);

    auto tampered_message = message;
    tampered_message[0] ^= 1;
    EXPECT_EQ(
        site2->verify("site1", site1->credential(), tampered_message, signature, Clock::now()),
        AuthResult::BadSignature);
    auto tampered_signature = signature;
    tampered_signature[signature.size() / 2] ^= 0x40;
    EXPECT_EQ(
        site2->verify("site1", site1->credential(), message, tampered_signature, Clock::now()),
        AuthResult::BadSignature);
    // Signed by site2's key but presented with site1's certificate.
    EXPECT_EQ(
        site2->verify("site1", site1->credential(), message, site2->sign(message), Clock::now()),
        AuthResult::BadSignature);
}

TEST_P(X509IdentityTest, EmptyOrOversizedSignatureIsMalformed) {
    const auto site1 = load_ok("site1");
    const auto message = bytes("hello");
    EXPECT_EQ(site1->verify("site1", site1->credential(), message, {}, Clock::now()),
              AuthResult::Malformed);
    const std::vector<std::uint8_t> oversized(site1->max_signature_size() + 1, 0x30);
    EXPECT_EQ(site1->verify("site1", site1->credential(), message, oversized, Clock::now()),
              AuthResult::Malformed);
}

TEST_P(X509IdentityTest, ForeignCaIsUntrusted) {
    const auto site1 = load_ok("site1");
    TempDir other_dir;
    TestCa other_ca = make_ca(GetParam(), "another CA");
    write_certificate(other_dir.path() / "ca.pem", *other_ca.certificate);
    const auto intruder_files = issue_node(other_dir, other_ca, "site2", GetParam(), "site2");
    const auto intruder =
        load_authenticator({config::X509Identity{other_dir.path() / "ca.pem",
                                                 intruder_files.certificate, intruder_files.key}},
                           "site2", Clock::now());
    ASSERT_TRUE(intruder.ok()) << intruder.error;

    const auto message = bytes("hello");
    EXPECT_EQ(site1->verify("site2", intruder.authenticator->credential(), message,
                            intruder.authenticator->sign(message), Clock::now()),
              AuthResult::UntrustedCredential);
}

TEST_P(X509IdentityTest, CaCertificateAsCredentialIsUntrusted) {
    const auto site1 = load_ok("site1");
    const auto ca_der = der_of(*ca_.certificate);
    EXPECT_EQ(site1->verify("mcsec test CA", ca_der, bytes("x"), std::vector<std::uint8_t>(64, 1),
                            Clock::now()),
              AuthResult::UntrustedCredential);
}

TEST_P(X509IdentityTest, CertificateOutsideValidityAtNowIsExpired) {
    const auto site1 = load_ok("site1");
    const auto site2 = load_ok("site2");
    const auto message = bytes("hello");
    const auto signature = site2->sign(message);
    EXPECT_EQ(site1->verify("site2", site2->credential(), message, signature,
                            Clock::now() + 2 * 365 * 24h),
              AuthResult::Expired);
    EXPECT_EQ(site1->verify("site2", site2->credential(), message, signature, Clock::now() - 24h),
              AuthResult::Expired);
}

TEST_P(X509IdentityTest, CacheSparesChainVerificationButStillChecksValidity) {
    const auto site1_loaded = load(issue_node(dir_, ca_, "site1", GetParam(), "site1"), "site1");
    ASSERT_TRUE(site1_loaded.ok());
    const auto& site1 = dynamic_cast<const X509Authenticator&>(
        dynamic_cast<const FailureCachingAuthenticator&>(*site1_loaded.authenticator).inner());
    const auto site2 = load_ok("site2");
    const auto message = bytes("hello");
    const auto signature = site2->sign(message);
    const auto now = Clock::now();

    for (int hello = 0; hello < 5; ++hello) {
        EXPECT_EQ(site1.verify("site2", site2->credential(), message, signature,
                               now + std::chrono::seconds(hello)),
                  AuthResult::Ok);
    }
    EXPECT_EQ(site1.chain_verifications(), 1U);
    EXPECT_EQ(site1.cache_hits(), 4U);
    // Served from the cache, yet past the certificate's notAfter: refused.
    EXPECT_EQ(site1.verify("site2", site2->credential(), message, signature, now + 400 * 24h),
              AuthResult::Expired);
    EXPECT_EQ(site1.chain_verifications(), 1U);
    // A cached certificate still has to name the claimed node.
    EXPECT_EQ(site1.verify("site3", site2->credential(), message, signature, now),
              AuthResult::IdentityMismatch);
}

TEST_P(X509IdentityTest, FailedVerificationIsNotCached) {
    const auto site1_loaded = load(issue_node(dir_, ca_, "site1", GetParam(), "site1"), "site1");
    ASSERT_TRUE(site1_loaded.ok());
    const auto& site1 = dynamic_cast<const X509Authenticator&>(
        dynamic_cast<const FailureCachingAuthenticator&>(*site1_loaded.authenticator).inner());
    const auto site2 = load_ok("site2");
    const auto message = bytes("hello");
    const auto signature = site2->sign(message);
    // Not yet valid at the first sighting: must be verified again later, not remembered.
    EXPECT_EQ(site1.verify("site2", site2->credential(), message, signature, Clock::now() - 24h),
              AuthResult::Expired);
    EXPECT_EQ(site1.verify("site2", site2->credential(), message, signature, Clock::now()),
              AuthResult::Ok);
    EXPECT_EQ(site1.chain_verifications(), 2U);
}

TEST_P(X509IdentityTest, UntrustedCertificateIsCheckedOnceNotPerMessage) {
    // A stranger's certificate (another CA) carried by a flood of messages: the chain is
    // verified once, then refused from the failed-credential cache.
    const auto site1_loaded = load(issue_node(dir_, ca_, "site1", GetParam(), "site1"), "site1");
    ASSERT_TRUE(site1_loaded.ok());
    const auto& site1 = dynamic_cast<const X509Authenticator&>(
        dynamic_cast<const FailureCachingAuthenticator&>(*site1_loaded.authenticator).inner());
    TestCa other_ca = make_ca(GetParam(), "another CA");
    const auto stranger_files = issue_node(dir_, other_ca, "mallory", GetParam(), "mallory");
    const auto other_ca_path = dir_.path() / "other-ca.pem";
    write_certificate(other_ca_path, *other_ca.certificate);
    auto stranger =
        load_authenticator({config::X509Identity{.ca = other_ca_path,
                                                 .certificate = stranger_files.certificate,
                                                 .key = stranger_files.key}},
                           "mallory", Clock::now());
    ASSERT_TRUE(stranger.ok()) << stranger.error;
    for (int i = 0; i < 20; ++i) {
        const auto message = bytes("hello " + std::to_string(i));  // distinct messages
        EXPECT_EQ(site1.verify("mallory", stranger.authenticator->credential(), message,
                               stranger.authenticator->sign(message), Clock::now()),
                  AuthResult::UntrustedCredential);
    }
    EXPECT_EQ(site1.chain_verifications(), 1U);
    EXPECT_EQ(site1.failed_credential_hits(), 19U);
}

TEST_P(X509IdentityTest, CommonNameMismatchIsIdentityMismatch) {
    const auto site1 = load_ok("site1");
    const auto site2 = load_ok("site2");
    const auto message = bytes("hello from site3, honest");
    EXPECT_EQ(
        site1->verify("site3", site2->credential(), message, site2->sign(message), Clock::now()),
        AuthResult::IdentityMismatch);
}

TEST_P(X509IdentityTest, GarbageCredentialIsMalformed) {
    const auto site1 = load_ok("site1");
    const auto message = bytes("hello");
    const auto signature = site1->sign(message);
    EXPECT_EQ(
        site1->verify("site1", bytes("\x30\x82\x01\x00garbage"), message, signature, Clock::now()),
        AuthResult::Malformed);
    auto trailing =
        std::vector<std::uint8_t>(site1->credential().begin(), site1->credential().end());
    trailing.push_back(0);
    EXPECT_EQ(site1->verify("site1", trailing, message, signature, Clock::now()),
              AuthResult::Malformed);
    auto truncated =
        std::vector<std::uint8_t>(site1->credential().begin(), site1->credential().end() - 1);
    EXPECT_EQ(site1->verify("site1", truncated, message, signature, Clock::now()),
              AuthResult::Malformed);
    // No credential at all (a PSK peer): nothing the CA issued.
    EXPECT_EQ(site1->verify("site1", {}, message, signature, Clock::now()),
              AuthResult::UntrustedCredential);
}

TEST(X509MixedAlgorithms, P256NodeUnderEd25519CaVerifiesEd25519Node) {
    TempDir dir;
    TestCa ca = make_ca(KeyKind::Ed25519);
    write_certificate(dir.path() / "ca.pem", *ca.certificate);
    const auto p256 = issue_node(dir, ca, "p256", KeyKind::P256, "p256");
    const auto ed = issue_node(dir, ca, "ed", KeyKind::Ed25519, "ed");
    const auto a = load_authenticator(
        {config::X509Identity{dir.path() / "ca.pem", p256.certificate, p256.key}}, "p256",
        Clock::now());
    const auto b = load_authenticator(
        {config::X509Identity{dir.path() / "ca.pem", ed.certificate, ed.key}}, "ed", Clock::now());
    ASSERT_TRUE(a.ok()) << a.error;
    ASSERT_TRUE(b.ok()) << b.error;
    const auto message = bytes("registration");
    EXPECT_EQ(a.authenticator->verify("ed", b.authenticator->credential(), message,
                                      b.authenticator->sign(message), Clock::now()),
              AuthResult::Ok);
    EXPECT_EQ(b.authenticator->verify("p256", a.authenticator->credential(), message,
                                      a.authenticator->sign(message), Clock::now()),
              AuthResult::Ok);
}

TEST(X509RsaCa, RsaCaIsRefused) {
    TempDir dir;
    TestCa ca = make_ca(KeyKind::Rsa2048);
    write_certificate(dir.path() / "ca.pem", *ca.certificate);
    const auto node = issue_node(dir, ca, "site1", KeyKind::Ed25519, "site1");
    const auto loaded = load_authenticator(
        {config::X509Identity{dir.path() / "ca.pem", node.certificate, node.key}}, "site1",
        Clock::now());
    EXPECT_EQ(loaded.error, "CA certificate " + (dir.path() / "ca.pem").string() +
                                ": key algorithm RSA 2048 bits is not supported; use Ed25519 or "
                                "ECDSA P-256");
}

}  // namespace
}  // namespace mcsec::control::identity::testing
