#include "mcsec/control/identity/x509_authenticator.hpp"

#include "mcsec/control/identity/certificate_checks.hpp"
#include "mcsec/control/identity/message_signature.hpp"

#include <climits>

namespace mcsec::control::identity {

X509Authenticator::X509Authenticator(std::shared_ptr<const X509Credentials> credentials)
    : credentials_(std::move(credentials)) {}

const NodeId& X509Authenticator::node_id() const noexcept {
    return credentials_->node_id;
}

std::span<const std::uint8_t> X509Authenticator::credential() const noexcept {
    return credentials_->certificate_der;
}

std::size_t X509Authenticator::max_signature_size() const noexcept {
    return identity::max_signature_size(*credentials_->private_key);
}

std::vector<std::uint8_t> X509Authenticator::sign(std::span<const std::uint8_t> message) const {
    return sign_message(*credentials_->private_key, message);
}

AuthResult X509Authenticator::verify_credential(
    std::span<const std::uint8_t> credential, std::chrono::system_clock::time_point now,
    std::shared_ptr<const VerifiedCertificate>& out) const {
    if (credential.size() > static_cast<std::size_t>(INT_MAX)) return AuthResult::Malformed;
    const unsigned char* cursor = credential.data();
    X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(credential.size())));
    take_openssl_errors();
    // Trailing bytes would make two different credentials (and cache keys) one certificate.
    if (!certificate || cursor != credential.data() + credential.size()) {
        return AuthResult::Malformed;
    }

    ++chain_verifications_;
    const ChainVerdict verdict = verify_node_chain(*credentials_->trust, *certificate, now);
    switch (verdict.status) {
        case ChainStatus::Trusted:
            break;
        case ChainStatus::Expired:
        case ChainStatus::NotYetValid:
            return AuthResult::Expired;
        case ChainStatus::Untrusted:
            return AuthResult::UntrustedCredential;
    }
    EVP_PKEY* public_key = X509_get0_pubkey(certificate.get());
    if (public_key == nullptr || !is_supported_key(*public_key)) {
        take_openssl_errors();
        return AuthResult::UntrustedCredential;
    }
    auto common_name = subject_common_name(*certificate);
    if (!common_name) return AuthResult::IdentityMismatch;

    EVP_PKEY_up_ref(public_key);
    auto entry = std::make_shared<VerifiedCertificate>(VerifiedCertificate{
        .public_key = std::shared_ptr<EVP_PKEY>(public_key, EVP_PKEY_free),
        .common_name = std::move(*common_name),
        .validity = verdict.validity,
    });
    cache_.insert(VerifiedCertificateCache::digest_of(credential), entry);
    out = std::move(entry);
    return AuthResult::Ok;
}

AuthResult X509Authenticator::verify(std::string_view claimed_node,
                                     std::span<const std::uint8_t> credential,
                                     std::span<const std::uint8_t> message,
                                     std::span<const std::uint8_t> signature,
                                     std::chrono::system_clock::time_point now) const {
    // No certificate at all (a PSK peer, say): nothing that could be issued by the CA.
    if (credential.empty()) return AuthResult::UntrustedCredential;

    const auto digest = VerifiedCertificateCache::digest_of(credential);
    std::shared_ptr<const VerifiedCertificate> verified = cache_.find(digest);
    if (verified) {
        ++cache_hits_;
    } else {
        const auto steady_now = FailedVerificationCache::Clock::now();
        if (const auto failed = failed_credentials_.find(digest, steady_now, now)) return *failed;
        if (const AuthResult result = verify_credential(credential, now, verified);
            result != AuthResult::Ok) {
            failed_credentials_.insert(digest, result, steady_now, now);
            return result;
        }
    }

    // Checked on every message, cached or not: a certificate cached yesterday may expire today.
    if (!verified->validity.contains(now)) return AuthResult::Expired;
    if (verified->common_name != claimed_node) return AuthResult::IdentityMismatch;
    if (signature.empty() ||
        signature.size() > identity::max_signature_size(*verified->public_key)) {
        return AuthResult::Malformed;
    }
    return verify_message(*verified->public_key, message, signature) ? AuthResult::Ok
                                                                     : AuthResult::BadSignature;
}

}  // namespace mcsec::control::identity
