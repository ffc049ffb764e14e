#include "identity_test_pki.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>

namespace mcsec::control::identity::testing {
namespace {

void check(bool succeeded, const char* what) {
    if (!succeeded) throw std::runtime_error(std::string(what) + ": " + take_openssl_errors());
}

void add_extension(X509& certificate, X509* issuer, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer != nullptr ? issuer : &certificate, &certificate, nullptr,
                   nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    check(extension != nullptr, "extension");
    check(X509_add_ext(&certificate, extension, -1) == 1, "add extension");
    X509_EXTENSION_free(extension);
}

}  // namespace

EvpPkeyPtr generate_key(KeyKind kind) {
    EVP_PKEY* key = nullptr;
    switch (kind) {
        case KeyKind::Ed25519:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
        case KeyKind::P256:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        case KeyKind::P384:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
            break;
        case KeyKind::Rsa2048:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
            break;
    }
    check(key != nullptr, "key generation");
    return EvpPkeyPtr(key);
}

X509Ptr make_certificate(const CertificateSpec& spec, EVP_PKEY& subject_key, X509* issuer,
                         EVP_PKEY& issuer_key) {
    X509Ptr certificate(X509_new());
    check(certificate != nullptr, "X509_new");
    X509* cert = certificate.get();
    check(X509_set_version(cert, X509_VERSION_3) == 1, "version");

    std::array<unsigned char, 16> serial{};
    check(RAND_bytes(serial.data(), serial.size()) == 1, "serial");
    serial[0] &= 0x7f;  // positive
    BIGNUM* serial_number = BN_bin2bn(serial.data(), serial.size(), nullptr);
    check(BN_to_ASN1_INTEGER(serial_number, X509_get_serialNumber(cert)) != nullptr, "serial");
    BN_free(serial_number);

    check(ASN1_TIME_set(X509_getm_notBefore(cert), Clock::to_time_t(spec.not_before)) != nullptr,
          "notBefore");
    check(ASN1_TIME_set(X509_getm_notAfter(cert), Clock::to_time_t(spec.not_after)) != nullptr,
          "notAfter");

    X509_NAME* subject = X509_get_subject_name(cert);
    check(X509_NAME_add_entry_by_NID(
              subject, NID_commonName, MBSTRING_UTF8,
              reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0) == 1,
          "CN");
    check(X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : subject) ==
              1,
          "issuer");
    check(X509_set_pubkey(cert, &subject_key) == 1, "public key");

    if (spec.is_ca) {
        add_extension(*cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(*cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_extension(*cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(*cert, issuer, NID_key_usage, "critical,digitalSignature");
        add_extension(*cert, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    add_extension(*cert, issuer, NID_subject_key_identifier, "hash");

    const EVP_MD* digest =
        EVP_PKEY_get_base_id(&issuer_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
    check(X509_sign(cert, &issuer_key, digest) > 0, "sign certificate");
    return certificate;
}

std::vector<std::uint8_t> der_of(X509& certificate) {
    const int length = i2d_X509(&certificate, nullptr);
    check(length > 0, "i2d_X509");
    std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    check(i2d_X509(&certificate, &cursor) == length, "i2d_X509");
    return der;
}

TempDir::TempDir() {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = std::filesystem::temp_directory_path() /
                         ("mcsec-identity-test-" + std::to_string(random()));
        if (std::filesystem::create_directory(candidate)) {
            path_ = std::move(candidate);
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void write_certificate(const std::filesystem::path& path, X509& certificate) {
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    check(bio != nullptr && PEM_write_bio_X509(bio.get(), &certificate) == 1, "write cert");
}

void write_private_key(const std::filesystem::path& path, EVP_PKEY& key) {
    {
        BioPtr bio(BIO_new_file(path.c_str(), "w"));
        check(bio != nullptr && PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0,
                                                         nullptr, nullptr) == 1,
              "write key");
    }
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

void write_text(const std::filesystem::path& path, const std::string& text,
                std::filesystem::perms mode) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + path.string());
    }
    std::filesystem::permissions(path, mode);
}

TestCa make_ca(KeyKind kind, const std::string& name) {
    TestCa ca;
    ca.key = generate_key(kind);
    const auto now = Clock::now();
    ca.certificate = make_certificate(
        {.common_name = name, .not_before = now - 1h, .not_after = now + 3650 * 24h, .is_ca = true},
        *ca.key, nullptr, *ca.key);
    return ca;
}

NodeFiles issue_node(const TempDir& dir, TestCa& ca, const std::string& name, KeyKind kind,
                     const std::string& file_stem) {
    const auto now = Clock::now();
    return issue_node(dir, ca,
                      {.common_name = name, .not_before = now - 1h, .not_after = now + 365 * 24h},
                      kind, file_stem);
}

NodeFiles issue_node(const TempDir& dir, TestCa& ca, const CertificateSpec& spec, KeyKind kind,
                     const std::string& file_stem) {
    const EvpPkeyPtr key = generate_key(kind);
    const X509Ptr certificate = make_certificate(spec, *key, ca.certificate.get(), *ca.key);
    NodeFiles files{dir.path() / (file_stem + ".pem"), dir.path() / (file_stem + ".key")};
    write_certificate(files.certificate, *certificate);
    write_private_key(files.key, *key);
    return files;
}

}  // namespace mcsec::control::identity::testing
