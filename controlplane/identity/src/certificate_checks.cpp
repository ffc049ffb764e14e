#include "mcsec/control/identity/certificate_checks.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>

namespace mcsec::control::identity {
namespace {

// The intersection of the validity periods of every certificate of a verified chain.
std::optional<ValidityWindow> chain_validity(X509_STORE_CTX& context) {
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(&context);
    if (chain == nullptr || sk_X509_num(chain) == 0) return std::nullopt;
    ValidityWindow window{TimePoint::min(), TimePoint::max()};
    for (int index = 0; index < sk_X509_num(chain); ++index) {
        const X509* certificate = sk_X509_value(chain, index);
        const auto not_before = to_time_point(X509_get0_notBefore(certificate));
        const auto not_after = to_time_point(X509_get0_notAfter(certificate));
        if (!not_before || !not_after) return std::nullopt;
        if (*not_before > window.not_before) window.not_before = *not_before;
        if (*not_after < window.not_after) window.not_after = *not_after;
    }
    return window;
}

}  // namespace

std::optional<TimePoint> to_time_point(const ASN1_TIME* time) {
    std::tm parts{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&parts));
}

X509StorePtr make_trust_store(X509& ca) {
    X509StorePtr store(X509_STORE_new());
    if (!store || X509_STORE_add_cert(store.get(), &ca) != 1) {
        take_openssl_errors();
        return nullptr;
    }
    return store;
}

ChainVerdict verify_node_chain(X509_STORE& trust, X509& certificate, TimePoint now) {
    ChainVerdict verdict;
    X509StoreCtxPtr context(X509_STORE_CTX_new());
    if (!context || X509_STORE_CTX_init(context.get(), &trust, &certificate, nullptr) != 1) {
        verdict.detail = "cannot set up verification: " + take_openssl_errors();
        return verdict;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context.get()),
                               std::chrono::system_clock::to_time_t(now));

    const int verified = X509_verify_cert(context.get());
    // X509_verify_cert reports through the context; its queue entries carry nothing more.
    ERR_clear_error();
    if (verified != 1) {
        const int error = X509_STORE_CTX_get_error(context.get());
        verdict.at_ca = X509_STORE_CTX_get_error_depth(context.get()) > 0;
        verdict.detail = X509_verify_cert_error_string(error);
        if (error == X509_V_ERR_CERT_HAS_EXPIRED) {
            verdict.status = ChainStatus::Expired;
        } else if (error == X509_V_ERR_CERT_NOT_YET_VALID) {
            verdict.status = ChainStatus::NotYetValid;
        }
        return verdict;
    }
    // A CA certificate (the deployment CA itself included) chains fine but names no node.
    if (X509_check_ca(&certificate) != 0) {
        verdict.detail = "a CA certificate, not a node certificate";
        return verdict;
    }
    const auto validity = chain_validity(*context);
    if (!validity) {
        verdict.detail = "unreadable validity period";
        return verdict;
    }
    verdict.status = ChainStatus::Trusted;
    verdict.validity = *validity;
    return verdict;
}

std::optional<std::string> subject_common_name(const X509& certificate) {
    const X509_NAME* subject = X509_get_subject_name(&certificate);
    if (subject == nullptr) return std::nullopt;
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
        return std::nullopt;
    }
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) {
        take_openssl_errors();
        return std::nullopt;
    }
    std::string name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    // An embedded NUL would let "site1\0evil" pass as "site1" in C-string comparisons elsewhere.
    if (name.find('\0') != std::string::npos) return std::nullopt;
    return name;
}

namespace {

std::optional<std::string> ec_group_name(const EVP_PKEY& key) {
    std::array<char, 80> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(&key, name.data(), name.size(), &length) != 1) {
        take_openssl_errors();
        return std::nullopt;
    }
    return std::string(name.data(), length);
}

}  // namespace

bool is_supported_key(const EVP_PKEY& key) {
    switch (EVP_PKEY_get_base_id(&key)) {
        case EVP_PKEY_ED25519:
            return true;
        case EVP_PKEY_EC: {
            const auto group = ec_group_name(key);
            return group && OBJ_sn2nid(group->c_str()) == NID_X9_62_prime256v1;
        }
        default:
            return false;
    }
}

std::string describe_key(const EVP_PKEY& key) {
    switch (EVP_PKEY_get_base_id(&key)) {
        case EVP_PKEY_ED25519:
            return "Ed25519";
        case EVP_PKEY_EC: {
            const auto group = ec_group_name(key);
            if (!group) return "ECDSA with explicit curve parameters";
            if (OBJ_sn2nid(group->c_str()) == NID_X9_62_prime256v1) return "ECDSA P-256";
            return "ECDSA " + *group;
        }
        case EVP_PKEY_RSA:
            return "RSA " + std::to_string(EVP_PKEY_get_bits(&key)) + " bits";
        default: {
            const char* name = EVP_PKEY_get0_type_name(&key);
            return name != nullptr ? name : "unknown key type";
        }
    }
}

std::string format_utc(TimePoint time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    if (gmtime_r(&seconds, &parts) == nullptr) return "(unrepresentable time)";
    std::array<char, 32> text{};
    std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S UTC", &parts);
    return text.data();
}

}  // namespace mcsec::control::identity
