#include "mcsec/control/identity/certificate_attributes.hpp"

#include <openssl/x509v3.h>

#include "mcsec/control/identity/openssl_handles.hpp"

namespace mcsec::control::identity {

namespace {

// An ASN1 string as UTF-8 text; nullopt for one with an embedded NUL (it could never be typed
// into a config file, and would let "a\0b" pose as "a").
std::optional<std::string> utf8_text(const ASN1_STRING* value) {
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) return std::nullopt;
    std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    if (text.find('\0') != std::string::npos) return std::nullopt;
    return text;
}

struct GeneralNamesDeleter {
    void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};

}  // namespace

std::optional<CertificateAttributes> certificate_attributes(std::span<const std::uint8_t> der) {
    if (der.empty()) return std::nullopt;
    const unsigned char* cursor = der.data();
    X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!certificate || cursor != der.data() + der.size()) {
        take_openssl_errors();
        return std::nullopt;
    }
    CertificateAttributes attributes;
    const X509_NAME* subject = X509_get_subject_name(certificate.get());
    for (int index = -1;
         (index = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, index)) >= 0;) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, index);
        if (auto text = utf8_text(X509_NAME_ENTRY_get_data(entry))) {
            attributes.organizational_units.push_back(std::move(*text));
        }
    }
    std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, nullptr, nullptr)));
    if (names) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
            if (name->type != GEN_DNS) continue;
            if (auto text = utf8_text(name->d.dNSName)) attributes.dns_names.push_back(*text);
        }
    }
    take_openssl_errors();
    return attributes;
}

}  // namespace mcsec::control::identity
