// A throwaway PKI for the identity tests, built with the OpenSSL API (no openssl CLI): keys,
// CAs and node certificates with chosen algorithms and validity periods, written as PEM files
// into a temporary directory that is removed afterwards.
#pragma once

#include "mcsec/control/identity/openssl_handles.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace mcsec::control::identity::testing {

using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

enum class KeyKind : std::uint8_t { Ed25519, P256, P384, Rsa2048 };

// Readable test names ("GetParam() = Ed25519").
inline void PrintTo(KeyKind kind, std::ostream* out) {
    static constexpr const char* kNames[] = {"Ed25519", "P256", "P384", "Rsa2048"};
    *out << kNames[static_cast<int>(kind)];
}

EvpPkeyPtr generate_key(KeyKind kind);

struct CertificateSpec {
    std::string common_name;
    Clock::time_point not_before;
    Clock::time_point not_after;
    bool is_ca = false;
};

// Signed by `issuer_key` under `issuer`'s name; self-signed when `issuer` is null.
X509Ptr make_certificate(const CertificateSpec& spec, EVP_PKEY& subject_key, X509* issuer,
                         EVP_PKEY& issuer_key);

std::vector<std::uint8_t> der_of(X509& certificate);

// A unique directory under the system temp dir, removed with everything in it.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
};

void write_certificate(const std::filesystem::path& path, X509& certificate);
// Mode 0600, like mcsec-pki writes it.
void write_private_key(const std::filesystem::path& path, EVP_PKEY& key);
void write_text(const std::filesystem::path& path, const std::string& text,
                std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                              std::filesystem::perms::owner_write);

struct TestCa {
    EvpPkeyPtr key;
    X509Ptr certificate;
};

// Valid from an hour ago for ten years.
TestCa make_ca(KeyKind kind, const std::string& name = "mcsec test CA");

struct NodeFiles {
    std::filesystem::path certificate;
    std::filesystem::path key;
};

// Issues a node certificate (CN = name, valid [now - 1h, now + 1 year] unless given) and writes
// DIR/<file_stem>.pem and DIR/<file_stem>.key.
NodeFiles issue_node(const TempDir& dir, TestCa& ca, const std::string& name, KeyKind kind,
                     const std::string& file_stem);
NodeFiles issue_node(const TempDir& dir, TestCa& ca, const CertificateSpec& spec, KeyKind kind,
                     const std::string& file_stem);

}  // namespace mcsec::control::identity::testing

namespace mcsec::control::identity::testing {

// For error messages: prints the whole text when the part is missing.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << text << "\" does not contain \"" << part << "\"";
}

}  // namespace mcsec::control::identity::testing
