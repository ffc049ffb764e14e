// The red-prefix exchange with every peer that discovery reports up (docs/protocol/idp.md,
// "Prefix exchange"). This node announces its full prefix set to each peer every hello interval
// until the peer has acknowledged the current version and nothing has changed, in either
// direction, for the dead interval (4H); then only hellos continue. A change on either side
// starts the announcements again.
//
// Transport-free: the daemon passes in the bytes received on a peer's TLS connection together
// with the identity TLS authenticated, and sends what comes out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/hello_verdict.hpp"
#include "mcsec/control/idp/idp_event.hpp"
#include "mcsec/control/idp/prefix_messages.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/idp/wire_format.hpp"

namespace mcsec::control::idp {

#define MCSEC_IDP_PREFIX_VERDICTS(X)                                                             \
    X(Accepted, "accepted", "newer announcement: prefixes replaced, acknowledged", None)         \
    X(Duplicate, "duplicate", "announcement already held: acknowledged again", None)             \
    X(Acknowledged, "acknowledged", "acknowledgement of our current announcement", None)         \
    X(Stale, "stale", "older announcement or acknowledgement than already seen: ignored", None)  \
    X(Malformed, "malformed", "does not parse", MalformedPacket)                                 \
    X(NodeMismatch, "node_mismatch", "node id differs from the TLS peer's identity", SignFailed) \
    X(UnknownPeer, "unknown_peer", "from a node discovery does not report up", None)

enum class PrefixVerdict : std::uint8_t {
#define MCSEC_IDP_ENUMERATOR(name, counter, text, alarm) name,
    MCSEC_IDP_PREFIX_VERDICTS(MCSEC_IDP_ENUMERATOR)
#undef MCSEC_IDP_ENUMERATOR
};

inline constexpr std::size_t kPrefixVerdictCount = 0
#define MCSEC_IDP_COUNT(name, counter, text, alarm) +1
    MCSEC_IDP_PREFIX_VERDICTS(MCSEC_IDP_COUNT)
#undef MCSEC_IDP_COUNT
    ;

std::string_view to_string(PrefixVerdict verdict) noexcept;
std::string_view counter_name(PrefixVerdict verdict) noexcept;
IdpAlarm alarm_for(PrefixVerdict verdict) noexcept;

struct OutgoingMessage {
    NodeId peer;
    std::vector<std::uint8_t> bytes;
};

class PrefixExchange {
  public:
    // Our own announcements start at version 1 with an empty prefix set.
    PrefixExchange(NodeId self, std::uint64_t startup_timestamp, Duration hello_interval);

    // Replaces this node's red prefixes (host bits cleared, sorted, duplicates dropped). Returns
    // true and restarts the announcements to every peer if the set changed. Throws
    // std::invalid_argument for more than kMaxPrefixesPerAnnouncement prefixes.
    bool set_local_prefixes(std::vector<config::Prefix> prefixes, TimePoint now);

    // JOIN and RESTORE open (or reopen) the exchange with the peer, announcing at once; LEAVE
    // ends it and forgets the peer's prefixes. After a JOIN (a restart) the peer's announcements
    // are ordered from scratch; after a RESTORE its newest one seen is kept.
    void on_event(const IdpEvent& event, TimePoint now);

    // Announcements due at `now`, at most one per peer.
    std::vector<OutgoingMessage> poll(TimePoint now);
    // The earliest time poll() has something to send; nullopt when every exchange is quiet.
    std::optional<TimePoint> next_due() const;

    // One message from the TLS connection whose authenticated peer is `tls_peer`. An
    // announcement is acknowledged through `replies`.
    PrefixVerdict on_message(std::string_view tls_peer, std::span<const std::uint8_t> bytes,
                             TimePoint now, std::vector<OutgoingMessage>& replies);

    // The peer's newest announced prefixes; nullptr for a peer with no open exchange.
    const std::vector<config::Prefix>* peer_prefixes(std::string_view peer) const;
    // True once the exchange with `peer` has gone quiet (false for an unknown peer).
    bool quiet(std::string_view peer, TimePoint now) const;

    std::uint64_t local_version() const noexcept { return local_.version; }
    const std::vector<config::Prefix>& local_prefixes() const noexcept { return local_.prefixes; }
    std::uint64_t count(PrefixVerdict verdict) const noexcept {
        return counters_[static_cast<std::size_t>(verdict)];
    }

  private:
    struct Session {
        std::optional<TimePoint> next_announcement;  // nullopt once quiet
        std::uint64_t acked_version = 0;             // of our announcements; 0 = none yet
        TimePoint last_change{};
        // The peer's newest announcement, ordered by (startup_timestamp, version).
        bool received_any = false;
        std::uint64_t peer_startup_timestamp = 0;
        std::uint64_t peer_version = 0;
        std::vector<config::Prefix> peer_prefixes;
    };

    bool settled(const Session& session, TimePoint now) const noexcept;
    void mark_changed(Session& session, TimePoint now) const;
    PrefixVerdict on_announcement(Session& session, const PrefixAnnouncement& announcement,
                                  TimePoint now, std::vector<OutgoingMessage>& replies);
    PrefixVerdict on_ack(Session& session, const PrefixAck& ack);
    PrefixVerdict count_and_return(PrefixVerdict verdict) noexcept;

    Duration interval_;
    PrefixAnnouncement local_;
    std::vector<std::uint8_t> encoded_local_;  // re-encoded only when the set changes
    std::map<NodeId, Session, std::less<>> sessions_;
    std::array<std::uint64_t, kPrefixVerdictCount> counters_{};
};

}  // namespace mcsec::control::idp
