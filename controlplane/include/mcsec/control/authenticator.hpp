// How control messages are signed and checked, independent of the credential style (X.509 under
// a deployment CA, or a pre-shared key). IDP hellos, MIKE and registration messages all sign
// through this interface, so the protocol code never touches OpenSSL directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mcsec::control {

// A node is named by its instance name (config instance.name, 1..32 of [A-Za-z0-9_-]); with
// X.509 the certificate's subject CN must equal it.
using NodeId = std::string;

enum class AuthResult : std::uint8_t {
    Ok,
    BadSignature,         // the signature does not verify under the credential's key
    UntrustedCredential,  // not issued by the deployment CA (or not a certificate at all)
    Expired,              // outside the certificate's validity period
    IdentityMismatch,     // the credential names another node than the message claims
    Malformed,            // credential or signature bytes that do not parse
};

std::string_view to_string(AuthResult result) noexcept;

class MessageAuthenticator {
  public:
    virtual ~MessageAuthenticator() = default;

    virtual const NodeId& node_id() const noexcept = 0;
    // What a peer needs to check this node's signatures without prior contact: the DER
    // certificate with X.509; empty with a PSK (the key itself is the trust).
    virtual std::span<const std::uint8_t> credential() const noexcept = 0;
    // Upper bound of sign()'s output size, for sizing messages.
    virtual std::size_t max_signature_size() const noexcept = 0;
    virtual std::vector<std::uint8_t> sign(std::span<const std::uint8_t> message) const = 0;
    // Ok only if `signature` over `message` was made by `claimed_node` and its `credential`
    // is trusted at `now`.
    virtual AuthResult verify(std::string_view claimed_node,
                              std::span<const std::uint8_t> credential,
                              std::span<const std::uint8_t> message,
                              std::span<const std::uint8_t> signature,
                              std::chrono::system_clock::time_point now) const = 0;
};

}  // namespace mcsec::control
