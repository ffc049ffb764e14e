// How a receive-only member gets its LKH keys (docs/protocol/lkh.md, "Registration"): a pull of
// two signed datagrams, unicast between the receiver and the group's designated sender.
//
//   REGISTER  receiver -> sender: group, receiver id, a 16-byte nonce and an ephemeral X25519
//             public key; signed by the receiver
//   WELCOME   sender -> receiver: group, sender id, receiver id, the nonce, a status, and when
//             admitted the tree shape, the leaf, the root version, the last message id, the
//             TEK's epoch and SPI, the sender's ephemeral X25519 key and the sealed keys
//             (individual key, TEK, path seeds) under RFC 5649 key wrap with a key from
//             HKDF-SHA256(X25519 shared secret, salt = nonce, info = label || group || receiver);
//             signed by the sender
//
// Only the receiver that made the ephemeral key can open the keys, the signatures bind both
// ephemeral keys to the two identities, and the nonce ties the answer to its request. A
// repeated REGISTER (same nonce: a retransmission, or a replay) gets the same WELCOME again
// instead of a new leaf, so replaying a receiver's old request churns nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/control/auth_verdicts.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/lkh_alarm.hpp"
#include "mcsec/control/mike/x25519.hpp"

namespace mcsec::control::lkh {

inline constexpr std::size_t kRegistrationNonceBytes = 16;

enum class WelcomeStatus : std::uint8_t {
    Admitted = 0,
    NotAReceiver = 1,  // the group's access list does not admit the requester as a receiver
    TreeFull = 2,
};

// X(name, counter, text, alarm); the signature rows are the shared ones.
#define MCSEC_LKH_REGISTRATION_VERDICTS(X)                                          \
    X(Accepted, "accepted", "accepted", None)                                       \
    X(Malformed, "malformed", "does not parse", MalformedPacket)                    \
    X(OtherGroup, "other_group", "for a group this node does not distribute", None) \
    X(NotExpected, "not_expected",                                                  \
      "not an answer to this node's request: a WELCOME from a node that is not a "  \
      "sender or for a request this receiver did not make, another receiver's "     \
      "REGISTER, a WELCOME at a sender",                                            \
      None)                                                                         \
    MCSEC_AUTH_VERDICTS(X)                                                          \
    X(NotAReceiver, "not_a_receiver",                                               \
      "requester not a receiver of the group by its access "                        \
      "list",                                                                       \
      AccessViolation)                                                              \
    X(Repeated, "repeated", "same request again: the same answer again", None)      \
    X(Refused, "refused", "the sender refused the registration", None)              \
    X(TreeFull, "tree_full", "no free leaf", None)                                  \
    X(Unsealable, "unsealable", "authentic WELCOME whose keys do not open", ProtocolViolation)

enum class RegistrationVerdict : std::uint8_t {
#define MCSEC_LKH_REG_ENUMERATOR(name, counter, text, alarm) name,
    MCSEC_LKH_REGISTRATION_VERDICTS(MCSEC_LKH_REG_ENUMERATOR)
#undef MCSEC_LKH_REG_ENUMERATOR
};

inline constexpr std::size_t kRegistrationVerdictCount = 0
#define MCSEC_LKH_REG_COUNT(name, counter, text, alarm) +1
    MCSEC_LKH_REGISTRATION_VERDICTS(MCSEC_LKH_REG_COUNT)
#undef MCSEC_LKH_REG_COUNT
    ;

std::string_view to_string(RegistrationVerdict verdict) noexcept;
std::string_view counter_name(RegistrationVerdict verdict) noexcept;
LkhAlarm alarm_for(RegistrationVerdict verdict) noexcept;

// The receiver's side: one request and the answer to it.
class RegistrationRequest {
  public:
    static std::optional<RegistrationRequest> create(std::vector<std::uint8_t> group_id,
                                                     const MessageAuthenticator& self);
    // The REGISTER datagram; retransmit it unchanged until a WELCOME arrives.
    const std::vector<std::uint8_t>& datagram() const noexcept { return datagram_; }

    struct Welcome {
        RegistrationVerdict verdict = RegistrationVerdict::Malformed;
        NodeId sender;
        std::optional<TreeShape> shape;
        std::optional<Registration> registration;  // Accepted only
    };
    Welcome open(std::span<const std::uint8_t> datagram, const MessageAuthenticator& verifier,
                 const NodeCheck& is_sender, std::chrono::system_clock::time_point wall) const;

  private:
    RegistrationRequest(std::vector<std::uint8_t> group_id, NodeId self,
                        mike::X25519PrivateKey ephemeral);
    std::vector<std::uint8_t> group_id_;
    NodeId self_;
    mike::X25519PrivateKey ephemeral_;
    std::array<std::uint8_t, kRegistrationNonceBytes> nonce_{};
    std::vector<std::uint8_t> datagram_;
};

// The designated sender's side: answers REGISTERs for one group's KeyDistribution.
class RegistrationDesk {
  public:
    RegistrationDesk(std::vector<std::uint8_t> group_id, KeyDistribution& distribution,
                     const MessageAuthenticator& self, NodeCheck is_receiver)
        : group_id_(std::move(group_id)),
          distribution_(&distribution),
          self_(&self),
          is_receiver_(std::move(is_receiver)) {}

    struct Answer {
        RegistrationVerdict verdict = RegistrationVerdict::Malformed;
        NodeId receiver;
        std::vector<std::uint8_t> reply;  // WELCOME to unicast back (empty: none)
    };
    Answer on_register(std::span<const std::uint8_t> datagram,
                       std::chrono::system_clock::time_point wall, TimePoint now);

  private:
    std::vector<std::uint8_t> group_id_;
    KeyDistribution* distribution_;
    const MessageAuthenticator* self_;
    NodeCheck is_receiver_;
    struct LastAnswer {
        std::array<std::uint8_t, kRegistrationNonceBytes> nonce{};
        std::vector<std::uint8_t> reply;
    };
    std::map<NodeId, LastAnswer> last_;
};

// Structure only (for the fuzz target): Ok when `datagram` parses as either message.
bool parses_as_registration_message(std::span<const std::uint8_t> datagram);

}  // namespace mcsec::control::lkh
