// tools/mcsec-pki end to end: what it writes loads through load_authenticator(), and nodes of
// one CA verify each other's signatures.
#include "identity_test_pki.hpp"

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
}

}  // namespace
}  // namespace mcsec::control::identity::testing
