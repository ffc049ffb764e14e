// Sends ALARM messages to peers, at most one of a kind about a group to a peer per hold-off
// period. The limit matters because alarms answer messages whose sender is not yet proven (a
// forged "ACK from the TM" makes the member report SIGN_FAILED to the TM): without it, anyone
// could make a node send a stream of signed alarms.
#pragma once

#include <cstddef>
#include <map>
#include <tuple>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/registration/message_signer.hpp"
#include "mcsec/control/registration/messages.hpp"
#include "mcsec/control/registration/outbox.hpp"

namespace mcsec::control::registration {

class AlarmSender {
  public:
    explicit AlarmSender(idp::Duration holdoff) : holdoff_(holdoff) {}

    // Queues ALARM `body` about `group` for `to` unless the hold-off suppresses it; true when
    // sent.
    bool send(MessageSigner& signer, const NodeId& to, const config::IpAddress& group,
              AlarmBody body, idp::TimePoint now, Outbox& out);

  private:
    using Key = std::tuple<NodeId, config::IpAddress, AlarmKind>;
    // Past this many remembered sends, those older than the hold-off are forgotten.
    static constexpr std::size_t kSweepThreshold = 1024;

    idp::Duration holdoff_;
    std::map<Key, idp::TimePoint> last_sent_;
};

}  // namespace mcsec::control::registration
