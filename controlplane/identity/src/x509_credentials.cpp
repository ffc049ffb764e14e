#include "mcsec/control/identity/x509_credentials.hpp"

#include "mcsec/control/identity/certificate_checks.hpp"
#include "mcsec/control/identity/credential_file.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <optional>

namespace mcsec::control::identity {
namespace {

constexpr std::string_view kCaWhat = "CA certificate";
constexpr std::string_view kCertificateWhat = "certificate";
constexpr std::string_view kKeyWhat = "private key";

// Never prompts for a passphrase: a daemon has no terminal, and an encrypted key must fail.
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
    return -1;
}

BioPtr memory_bio(std::span<const std::uint8_t> bytes) {
    return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string prefix(std::string_view what, const std::filesystem::path& path) {
    return std::string(what) + " " + path.string() + ": ";
}

// The first PEM certificate of the file.
X509Ptr read_certificate(const std::filesystem::path& path, std::string_view what,
                         std::string& error) {
    CredentialFileBytes bytes;
    if (auto problem = read_credential_file(path, what, FileSecrecy::Public, bytes)) {
        error = std::move(*problem);
        return nullptr;
    }
    const BioPtr bio = memory_bio(bytes.view());
    X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr)
                            : nullptr);
    if (!certificate) {
        const std::string detail = take_openssl_errors();
        error = prefix(what, path) + "no PEM certificate (\"-----BEGIN CERTIFICATE-----\") found" +
                (detail.empty() ? "" : " (" + detail + ")");
    }
    return certificate;
}

EvpPkeyPtr read_private_key(const std::filesystem::path& path, std::string& error) {
    CredentialFileBytes bytes;
    if (auto problem = read_credential_file(path, kKeyWhat, FileSecrecy::Secret, bytes)) {
        error = std::move(*problem);
        return nullptr;
    }
    const BioPtr bio = memory_bio(bytes.view());
    EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr)
                       : nullptr);
    if (!key) {
        // OpenSSL's text would only repeat "bad decrypt" or "no start line"; say it plainly.
        take_openssl_errors();
        error = prefix(kKeyWhat, path) +
                "no unencrypted PEM private key found (passphrase-protected keys are not "
                "supported)";
    }
    return key;
}

std::string asn1_time_text(const ASN1_TIME* time) {
    const auto converted = to_time_point(time);
    return converted ? format_utc(*converted) : "(unreadable time)";
}

std::vector<std::uint8_t> der_of(X509& certificate) {
    const int length = i2d_X509(&certificate, nullptr);
    if (length <= 0) return {};
    std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    if (i2d_X509(&certificate, &cursor) != length) return {};
    return der;
}

std::optional<std::string> check_ca(const config::X509Identity& files, X509& ca) {
    if (X509_check_ca(&ca) == 0) {
        return prefix(kCaWhat, files.ca) +
               "not a CA certificate (basicConstraints CA:TRUE missing)";
    }
    const EVP_PKEY* key = X509_get0_pubkey(&ca);
    if (key == nullptr) return prefix(kCaWhat, files.ca) + "unreadable public key";
    if (!is_supported_key(*key)) {
        return prefix(kCaWhat, files.ca) + "key algorithm " + describe_key(*key) +
               " is not supported; use Ed25519 or ECDSA P-256";
    }
    return std::nullopt;
}

std::optional<std::string> check_node_certificate(const config::X509Identity& files,
                                                  X509Credentials& loaded,
                                                  std::chrono::system_clock::time_point now) {
    const std::string certificate_prefix = prefix(kCertificateWhat, files.certificate);
    const EVP_PKEY* public_key = X509_get0_pubkey(loaded.certificate.get());
    if (public_key == nullptr) return certificate_prefix + "unreadable public key";
    if (!is_supported_key(*public_key)) {
        return certificate_prefix + "key algorithm " + describe_key(*public_key) +
               " is not supported; use Ed25519 or ECDSA P-256";
    }
    if (EVP_PKEY_eq(public_key, loaded.private_key.get()) != 1) {
        take_openssl_errors();
        return prefix(kKeyWhat, files.key) + "does not match the public key of certificate " +
               files.certificate.string();
    }

    const ChainVerdict verdict = verify_node_chain(*loaded.trust, *loaded.certificate, now);
    const std::string at = " (now " + format_utc(now) + ")";
    const X509* dated = verdict.at_ca ? loaded.ca.get() : loaded.certificate.get();
    const std::string dated_prefix = verdict.at_ca ? prefix(kCaWhat, files.ca) : certificate_prefix;
    switch (verdict.status) {
        case ChainStatus::Trusted:
            break;
        case ChainStatus::Expired:
            return dated_prefix + "expired on " + asn1_time_text(X509_get0_notAfter(dated)) + at;
        case ChainStatus::NotYetValid:
            return dated_prefix + "not valid before " + asn1_time_text(X509_get0_notBefore(dated)) +
                   at;
        case ChainStatus::Untrusted:
            if (verdict.at_ca) return prefix(kCaWhat, files.ca) + verdict.detail;
            return certificate_prefix + "not issued by the deployment CA " + files.ca.string() +
                   " (" + verdict.detail + ")";
    }

    const auto common_name = subject_common_name(*loaded.certificate);
    if (!common_name) return certificate_prefix + "subject has no single common name (CN)";
    if (*common_name != loaded.node_id) {
        return certificate_prefix + "subject CN \"" + *common_name +
               "\" does not match instance name \"" + loaded.node_id + "\"";
    }
    return std::nullopt;
}

}  // namespace

X509CredentialsLoad load_x509_credentials(const config::X509Identity& files, const NodeId& node_id,
                                          std::chrono::system_clock::time_point now) {
    X509CredentialsLoad result;
    auto loaded = std::make_shared<X509Credentials>();
    loaded->node_id = node_id;

    loaded->ca = read_certificate(files.ca, kCaWhat, result.error);
    if (!loaded->ca) return result;
    if (auto problem = check_ca(files, *loaded->ca)) {
        result.error = std::move(*problem);
        return result;
    }
    loaded->certificate = read_certificate(files.certificate, kCertificateWhat, result.error);
    if (!loaded->certificate) return result;
    loaded->private_key = read_private_key(files.key, result.error);
    if (!loaded->private_key) return result;

    loaded->trust = make_trust_store(*loaded->ca);
    if (!loaded->trust) {
        result.error = prefix(kCaWhat, files.ca) + "cannot build a trust store from it";
        return result;
    }
    if (auto problem = check_node_certificate(files, *loaded, now)) {
        result.error = std::move(*problem);
        return result;
    }
    loaded->certificate_der = der_of(*loaded->certificate);
    if (loaded->certificate_der.empty()) {
        result.error = prefix(kCertificateWhat, files.certificate) + "cannot be DER-encoded";
        return result;
    }
    result.credentials = std::move(loaded);
    return result;
}

}  // namespace mcsec::control::identity
