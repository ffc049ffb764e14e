// The checks every peer certificate passes, shared by startup (our own certificate), signed
// control messages (a peer's credential) and the TLS verify callback: it chains to the
// deployment CA at a given time, it is an end-entity certificate, its key is Ed25519 or ECDSA
// P-256, and its subject CN is the node id.
#pragma once

#include "mcsec/control/identity/openssl_handles.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mcsec::control::identity {

using TimePoint = std::chrono::system_clock::time_point;

// When a whole chain is valid: the latest notBefore and the earliest notAfter of its
// certificates, both inclusive (as OpenSSL's own check).
struct ValidityWindow {
    TimePoint not_before;
    TimePoint not_after;

    bool contains(TimePoint now) const noexcept { return now >= not_before && now <= not_after; }
};

enum class ChainStatus : std::uint8_t {
    Trusted,
    Expired,      // some certificate of the chain ended before `now`
    NotYetValid,  // some certificate of the chain starts after `now`
    Untrusted,    // does not chain to the deployment CA, or is not an end-entity certificate
};

struct ChainVerdict {
    ChainStatus status = ChainStatus::Untrusted;
    // OpenSSL's reason when not Trusted (e.g. "unable to get local issuer certificate").
    std::string detail;
    // The problem lies with the CA certificate (depth > 0), not the node's own.
    bool at_ca = false;
    // Set when Trusted.
    ValidityWindow validity;
};

// A store whose only trust anchor is the deployment CA: no system CAs, ever.
X509StorePtr make_trust_store(X509& ca);

// X509_verify_cert against `trust` at `now` (not the wall clock), plus "not a CA certificate".
ChainVerdict verify_node_chain(X509_STORE& trust, X509& certificate, TimePoint now);

// The single subject CN as UTF-8; nullopt if there is none or more than one.
std::optional<std::string> subject_common_name(const X509& certificate);

// Ed25519 or ECDSA on P-256 (named curve).
bool is_supported_key(const EVP_PKEY& key);
// "Ed25519", "ECDSA P-256", "RSA 2048 bits", "ECDSA secp384r1", ... for error messages.
std::string describe_key(const EVP_PKEY& key);

// A certificate time (notBefore/notAfter); nullopt if it does not parse.
std::optional<TimePoint> to_time_point(const ASN1_TIME* time);

// "2025-01-31 12:00:00 UTC".
std::string format_utc(TimePoint time);

}  // namespace mcsec::control::identity
