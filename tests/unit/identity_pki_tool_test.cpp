// tools/mcsec-pki end to end: what it writes loads through load_authenticator(), and nodes of
// one CA verify each other's signatures.
#include "identity_test_pki.hpp"

#include "mcsec/control/identity/certificate_attributes.hpp"
#include "mcsec/control/identity/load_authenticator.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>

namespace mcsec::control::identity::testing {
namespace {

// Runs mcsec-pki with `arguments` (already shell-quoted as needed); its exit status.
int run_pki(const std::string& arguments) {
    const std::string command = std::string(MCSEC_PKI_TOOL) + " " + arguments + " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

class PkiToolTest : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Algorithms, PkiToolTest, ::testing::Values("ed25519", "p256"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(PkiToolTest, GeneratedCertificatesLoadAndVerify) {
    TempDir dir;
    const auto pki = dir.path() / "pki";
    ASSERT_EQ(run_pki("ca " + pki.string() + " --algo " + GetParam() + " --days 30"), 0);
    ASSERT_EQ(run_pki("node " + pki.string() + " site1"), 0);
    ASSERT_EQ(run_pki("node " + pki.string() + " site2 --days 7"), 0);
    EXPECT_EQ(mode_of(pki / "ca.key"), 0600U);
    EXPECT_EQ(mode_of(pki / "site1.key"), 0600U);

    const auto load = [&](const std::string& name) {
        return load_authenticator(
            {config::X509Identity{pki / "ca.pem", pki / (name + ".pem"), pki / (name + ".key")}},
            name, Clock::now());
    };
    const auto site1 = load("site1");
    const auto site2 = load("site2");
    ASSERT_TRUE(site1.ok()) << site1.error;
    ASSERT_TRUE(site2.ok()) << site2.error;
    const std::vector<std::uint8_t> message{1, 2, 3};
    EXPECT_EQ(site1.authenticator->verify("site2", site2.authenticator->credential(), message,
                                          site2.authenticator->sign(message), Clock::now()),
              AuthResult::Ok);
    // --days 7 took effect.
    EXPECT_EQ(
        site1.authenticator->verify("site2", site2.authenticator->credential(), message,
                                    site2.authenticator->sign(message), Clock::now() + 8 * 24h),
        AuthResult::Expired);
}

TEST(PkiTool, PskLoads) {
    TempDir dir;
    const auto psk = dir.path() / "psk";
    ASSERT_EQ(run_pki("psk " + psk.string()), 0);
    EXPECT_EQ(mode_of(psk), 0600U);
    const auto loaded = load_authenticator({config::PskIdentity{psk}}, "site1", Clock::now());
    EXPECT_TRUE(loaded.ok()) << loaded.error;
    // Never overwrites a key.
    EXPECT_NE(run_pki("psk " + psk.string()), 0);
}

TEST(PkiTool, RefusesBadUsage) {
    TempDir dir;
    const auto pki = dir.path().string() + "/pki";
    EXPECT_EQ(run_pki(""), 2);
    EXPECT_NE(run_pki("frobnicate"), 0);
    EXPECT_NE(run_pki("ca " + pki + " --algo rsa"), 0);
    EXPECT_NE(run_pki("ca " + pki + " --days soon"), 0);
    EXPECT_NE(run_pki("node " + pki + " site1"), 0);  // no CA yet
    ASSERT_EQ(run_pki("ca " + pki), 0);
    EXPECT_NE(run_pki("ca " + pki), 0);  // exists
    EXPECT_NE(run_pki("node " + pki + " 'bad name'"), 0);
    EXPECT_NE(run_pki("node " + pki + " " + std::string(33, 'a')), 0);
    // An OU that would smuggle another subject attribute, a SAN that is no DNS name.
    EXPECT_NE(run_pki("node " + pki + " site3 --ou 'red/CN=site1'"), 0);
    EXPECT_NE(run_pki("node " + pki + " site3 --dns 'a b'"), 0);
    EXPECT_NE(run_pki("node " + pki + " site3 --ou"), 0);
}

// The attributes a group access list matches (ou:..., dns:...) are read back from the
// certificate mcsec-pki wrote: what the operator asked for, in order, and nothing else.
TEST(PkiTool, OuAndDnsOptionsReachTheCertificate) {
    TempDir dir;
    const auto pki = dir.path() / "pki";
    ASSERT_EQ(run_pki("ca " + pki.string()), 0);
    ASSERT_EQ(run_pki("node " + pki.string() +
                      " site1 --ou 'group red' --ou blue --dns a.example.net --dns b.example.net"),
              0);
    ASSERT_EQ(run_pki("node " + pki.string() + " site2"), 0);
    const auto load = [&](const std::string& name) {
        return load_authenticator(
            {config::X509Identity{pki / "ca.pem", pki / (name + ".pem"), pki / (name + ".key")}},
            name, Clock::now());
    };
    const auto site1 = load("site1");
    const auto site2 = load("site2");
    ASSERT_TRUE(site1.ok()) << site1.error;
    ASSERT_TRUE(site2.ok()) << site2.error;
    const auto with = certificate_attributes(site1.authenticator->credential());
    ASSERT_TRUE(with.has_value());
    EXPECT_EQ(with->organizational_units, (std::vector<std::string>{"group red", "blue"}));
    EXPECT_EQ(with->dns_names, (std::vector<std::string>{"a.example.net", "b.example.net"}));
    const auto without = certificate_attributes(site2.authenticator->credential());
    ASSERT_TRUE(without.has_value());
    EXPECT_TRUE(without->organizational_units.empty());
    EXPECT_TRUE(without->dns_names.empty());
    // Not a certificate (a PSK identity's empty credential, garbage): no attributes at all.
    EXPECT_FALSE(certificate_attributes({}).has_value());
    const std::vector<std::uint8_t> garbage{0x30, 0x03, 0x02, 0x01, 0x01};
    EXPECT_FALSE(certificate_attributes(garbage).has_value());
}

}  // namespace
}  // namespace mcsec::control::identity::testing
