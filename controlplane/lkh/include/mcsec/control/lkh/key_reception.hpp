// A receive-only member's LKH engine for one group (docs/protocol/lkh.md, "Receiver"): checks
// every push datagram cheapest first (structure, group, claimed sender, replay) before the
// signature, applies it to its ReceiverKeys and hands each new TEK out once. It never sends:
// an EMCON receiver follows every rekey it hears. When it falls behind and even a State message
// cannot bring it back, it says so (needs_reregistration) so the daemon raises the alarm and
// registers again once it may transmit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/control/auth_verdicts.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/lkh_alarm.hpp"
#include "mcsec/control/lkh/push_message.hpp"
#include "mcsec/control/lkh/receiver_keys.hpp"

namespace mcsec::control::lkh {

// X(name, counter, text, alarm), checked in this order; the signature rows are the shared ones.
#define MCSEC_LKH_RECEPTION_VERDICTS(X)                                                           \
    X(Accepted, "accepted", "accepted", None)                                                     \
    X(Malformed, "malformed", "does not parse", MalformedPacket)                                  \
    X(OtherGroup, "other_group", "for another group", None)                                       \
    X(NotFromSender, "not_from_sender", "claims a node that is not one of the group's senders",   \
      None)                                                                                       \
    X(Replay, "replay", "message id not above the last one applied", None)                        \
    MCSEC_AUTH_VERDICTS(X)                                                                        \
    X(OtherTree, "other_tree",                                                                    \
      "authentic, from another key tree than this receiver's (a new key server): register again", \
      KeysBehind)                                                                                 \
    X(WrongTree, "wrong_tree", "authentic, for another tree degree or height", ProtocolViolation) \
    X(Behind, "behind", "needs keys this receiver missed", KeysBehind)

enum class ReceptionVerdict : std::uint8_t {
#define MCSEC_LKH_RV_ENUMERATOR(name, counter, text, alarm) name,
    MCSEC_LKH_RECEPTION_VERDICTS(MCSEC_LKH_RV_ENUMERATOR)
#undef MCSEC_LKH_RV_ENUMERATOR
};

inline constexpr std::size_t kReceptionVerdictCount = 0
#define MCSEC_LKH_RV_COUNT(name, counter, text, alarm) +1
    MCSEC_LKH_RECEPTION_VERDICTS(MCSEC_LKH_RV_COUNT)
#undef MCSEC_LKH_RV_COUNT
    ;

std::string_view to_string(ReceptionVerdict verdict) noexcept;
std::string_view counter_name(ReceptionVerdict verdict) noexcept;
LkhAlarm alarm_for(ReceptionVerdict verdict) noexcept;

struct ReceptionParams {
    std::vector<std::uint8_t> group_id;
    TreeShape shape;
    const Registration* registration = nullptr;  // its keys are copied
    // Whose pushes count: the group's senders (any of them may become the designated sender).
    NodeCheck is_sender;
};

class KeyReception {
  public:
    static std::optional<KeyReception> create(const ReceptionParams& params,
                                              const MessageAuthenticator& verifier);

    ReceptionVerdict on_datagram(std::span<const std::uint8_t> datagram,
                                 std::chrono::system_clock::time_point wall);
    // Each new TEK once, oldest first.
    std::optional<ReceiverKeys::CurrentTek> take_new_tek();
    // Behind, and a State message that arrived afterwards did not help either.
    bool needs_reregistration() const noexcept { return reregister_; }
    std::uint64_t count(ReceptionVerdict verdict) const noexcept {
        return counts_[static_cast<std::size_t>(verdict)];
    }
    const ReceiverKeys& keys() const noexcept { return keys_; }

  private:
    KeyReception(ReceptionParams params, const MessageAuthenticator& verifier, ReceiverKeys keys);
    ReceptionVerdict count_as(ReceptionVerdict verdict) noexcept {
        ++counts_[static_cast<std::size_t>(verdict)];
        return verdict;
    }

    ReceptionParams params_;
    const MessageAuthenticator* verifier_;
    ReceiverKeys keys_;
    std::uint64_t handed_epoch_ = 0;
    std::uint64_t tree_id_ = 0;  // the tree the registration's keys belong to
    std::deque<ReceiverKeys::CurrentTek> new_teks_;
    bool behind_ = false;
    bool reregister_ = false;
    std::uint64_t counts_[kReceptionVerdictCount] = {};
};

}  // namespace mcsec::control::lkh
