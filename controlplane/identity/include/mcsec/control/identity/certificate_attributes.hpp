// The certificate attributes a group's access list may name (config AccessPattern): the subject's
// organizationalUnitName values and the subjectAltName dNSName values. Read from a credential
// that the authenticator has already verified; the attributes are only as good as that check.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mcsec::control::identity {

struct CertificateAttributes {
    std::vector<std::string> organizational_units;
    std::vector<std::string> dns_names;

    friend bool operator==(const CertificateAttributes&, const CertificateAttributes&) = default;
};

// nullopt when `der` is not one DER certificate (a PSK credential is empty: no attributes).
std::optional<CertificateAttributes> certificate_attributes(std::span<const std::uint8_t> der);

}  // namespace mcsec::control::identity
