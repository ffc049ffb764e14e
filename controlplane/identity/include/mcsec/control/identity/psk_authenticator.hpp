// Pre-shared key identity for small static setups: every appliance holds the same key, and a
// message is authentic if its HMAC-SHA256 under that key verifies. The messages carry the
// sender's node id, so the MAC covers the claim; the key itself is the only trust.
#pragma once

#include "mcsec/config/secret_bytes.hpp"
#include "mcsec/control/authenticator.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace mcsec::control::identity {

inline constexpr std::size_t kMinPskBytes = 32;
inline constexpr std::size_t kMaxPskBytes = config::SecretBytes::kCapacity;  // 64
inline constexpr std::size_t kPskMacSize = 32;                               // HMAC-SHA256

class PskAuthenticator final : public MessageAuthenticator {
  public:
    PskAuthenticator(NodeId node_id, config::SecretBytes key);

    const NodeId& node_id() const noexcept override { return node_id_; }
    // Empty: a PSK peer sends no credential.
    std::span<const std::uint8_t> credential() const noexcept override { return {}; }
    std::size_t max_signature_size() const noexcept override { return kPskMacSize; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t> message) const override;
    // `claimed_node` and `now` play no part (see above); a non-empty credential means the peer
    // uses certificates, a configuration mismatch reported as UntrustedCredential.
    AuthResult verify(std::string_view claimed_node, std::span<const std::uint8_t> credential,
                      std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature,
                      std::chrono::system_clock::time_point now) const override;

  private:
    NodeId node_id_;
    config::SecretBytes key_;  // wiped when destroyed
};

struct PskKeyLoad {
    config::SecretBytes key;
    std::string error;  // "PSK file <path>: <problem>"; empty on success
};

// The file holds the key as hex digits (32..64 bytes), whitespace anywhere tolerated, and must
// have mode 0600 or 0400.
PskKeyLoad load_psk_file(const std::filesystem::path& path);

}  // namespace mcsec::control::identity
