// The sending half both sides share: the node's identity, its strictly increasing message
// timestamps, and signing. Also the receiving half's signature check, so both sides verify the
// same bytes the same way.
#pragma once

#include <cstdint>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/registration/messages.hpp"
#include "mcsec/control/registration/verdict.hpp"

namespace mcsec::control::registration {

class MessageSigner {
  public:
    // `initial_timestamp` must exceed every timestamp this node sent in an earlier run, or its
    // peers refuse its messages as replays until it does: the daemon passes the same value it
    // gives IDP as the startup timestamp (wall clock, never below the last value used plus one),
    // scaled so that a run cannot send more messages than the gap to the next run's start.
    MessageSigner(const MessageAuthenticator& authenticator, std::uint64_t initial_timestamp)
        : authenticator_(authenticator), last_timestamp_(initial_timestamp) {}

    const NodeId& node_id() const noexcept { return authenticator_.node_id(); }
    const MessageAuthenticator& authenticator() const noexcept { return authenticator_; }

    // Stamps `body` about `group` with the next timestamp, this node's id and credential, and
    // signs it.
    template <typename Body>
    std::vector<std::uint8_t> sign(const config::IpAddress& group, Body body,
                                   std::uint64_t* timestamp = nullptr) {
        Message message{
            .sender = node_id(),
            .timestamp = ++last_timestamp_,
            .group = group,
            .body = std::move(body),
            .credential = {authenticator_.credential().begin(), authenticator_.credential().end()}};
        if (timestamp != nullptr) *timestamp = message.timestamp;
        return encode(message, authenticator_);
    }

    // Accepted when the parsed message's signature verifies under its own credential for its
    // claimed sender at `wall_now`; otherwise the SIGN_FAILED verdict for the reason.
    Verdict verify(const ParsedMessage& parsed, idp::WallTime wall_now) const;

  private:
    const MessageAuthenticator& authenticator_;
    std::uint64_t last_timestamp_;
};

}  // namespace mcsec::control::registration
