// The member side of registration (docs/protocol/registration.md, "Member state machine"): for
// each group this node belongs to, register with the group's TM, refresh before the lifetime
// ends, send DELETE on leaving, and report alarms to the TM.
//
// Transport-free like IDP: the daemon passes every registration datagram and the current time in,
// sends the datagrams of the Outbox to the named nodes, and calls on_timer() at next_due().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/registration/alarm_sender.hpp"
#include "mcsec/control/registration/diagnostics.hpp"
#include "mcsec/control/registration/message_signer.hpp"
#include "mcsec/control/registration/outbox.hpp"
#include "mcsec/control/registration/replay_guard.hpp"

namespace mcsec::control::registration {

struct ClientConfig {
    // A request with ACK_REQD is sent up to `max_attempts` times, `retransmit_interval` apart,
    // as identical copies; one interval after the last copy it has failed.
    idp::Duration retransmit_interval{1000};
    int max_attempts = 5;
    // Asked of the TM in every REGISTER; the TM may grant less (the ACK says).
    std::uint32_t lifetime_s = 60;
    // After a failed registration (or a lapse), the next fresh REGISTER waits this long.
    idp::Duration retry_after_failure{10000};
    // Without ACK_REQD a REGISTER or DELETE is sent once and taken as done.
    bool ack_required = true;
    // At most one ALARM of a kind about a group to a TM per this period.
    idp::Duration alarm_holdoff{10000};
    std::size_t alarm_log_capacity = AlarmLog::kDefaultCapacity;
};

enum class MembershipState : std::uint8_t {
    Local,         // this node is the group's TM: nothing to register
    Registering,   // REGISTER sent, not yet acknowledged
    Registered,    // the TM granted a registration that has not ended (a REFRESH may be out)
    Unregistered,  // the last attempt failed or the registration lapsed; a retry is scheduled
    Leaving,       // DELETE sent, not yet acknowledged
};

std::string_view to_string(MembershipState state) noexcept;

struct MembershipStatus {
    config::IpAddress group;
    NodeId tm;
    MembershipState state = MembershipState::Registering;
    // Set while Registered: when the registration ends unless refreshed, and what was granted.
    std::optional<idp::TimePoint> expires;
    std::uint64_t epoch = 0;
    std::uint32_t spi = 0;
};

class RegistrationClient {
  public:
    // Throws std::invalid_argument for a config whose retransmissions cannot finish within half
    // a lifetime (the refresh would then race the expiry) or with a non-positive value.
    RegistrationClient(const MessageAuthenticator& authenticator, std::uint64_t initial_timestamp,
                       ClientConfig config = {});

    // The daemon's view of who is `group`'s TM. Joins the group if this node was not in it; a new
    // TM gets a fresh REGISTER (and the old one a DELETE without ACK_REQD, best effort). Naming
    // this node itself makes the group Local. Unchanged TM: nothing happens.
    void set_tm(const config::IpAddress& group, const NodeId& tm, idp::TimePoint now, Outbox& out);
    // Leaves `group`: DELETE to its TM (with ACK_REQD when configured). False if not a member.
    bool leave(const config::IpAddress& group, idp::TimePoint now, Outbox& out);
    // SA_EXPIRED: the SA lifecycle found `spi` of `group` at its hard lifetime with no successor
    // (seed 001: the node keeps using it and tells the key server). Logged, and reported to the
    // group's TM unless Local.
    // `detail` says what happened when it was not the hard lifetime (empty: the hard lifetime).
    void report_sa_expired(const config::IpAddress& group, std::uint32_t spi, idp::TimePoint now,
                           Outbox& out, std::string detail = {});

    // A registration datagram (starting with "RG") from the black socket; `source` names where
    // it came from for the alarm of an unparsable one.
    Verdict on_datagram(std::span<const std::uint8_t> datagram, std::string_view source,
                        idp::TimePoint now, idp::WallTime wall_now, Outbox& out);
    // Retransmissions, refreshes, failures, lapses and retries due at `now`.
    void on_timer(idp::TimePoint now, Outbox& out);
    std::optional<idp::TimePoint> next_due() const;

    std::vector<MembershipStatus> memberships() const;
    std::optional<MembershipStatus> membership(const config::IpAddress& group) const;
    const Counters& counters() const noexcept { return diagnostics_.counters(); }
    const AlarmLog& alarms() const noexcept { return diagnostics_.alarms(); }
    AlarmLog& alarms() noexcept { return diagnostics_.alarms(); }

  private:
    // A request waiting for its ACK: the exact bytes, resent unchanged.
    struct Pending {
        MessageType type = MessageType::Register;
        bool refresh = false;
        std::uint64_t timestamp = 0;
        std::vector<std::uint8_t> datagram;
        idp::TimePoint first_sent{};
        idp::TimePoint next_send{};
        int sent = 0;
    };
    struct Grant {
        std::uint32_t lifetime_s = 0;
        std::uint64_t epoch = 0;
        std::uint32_t spi = 0;
        idp::TimePoint refresh_due{};
        idp::TimePoint expires{};
    };
    struct Membership {
        NodeId tm;
        bool local = false;
        bool leaving = false;
        std::optional<Grant> grant;
        std::optional<Pending> pending;
        // Timestamp of the last request the TM acknowledged: a second ACK to it is a duplicate.
        std::uint64_t last_acked = 0;
        idp::TimePoint retry_at{};
    };

    void start_request(const config::IpAddress& group, Membership& membership, MessageType type,
                       bool refresh, idp::TimePoint now, Outbox& out);
    void send_best_effort_delete(const config::IpAddress& group, const NodeId& tm, Outbox& out);
    Verdict on_ack(const config::IpAddress& group, Membership& membership,
                   const ParsedMessage& parsed, idp::TimePoint now, Outbox& out);
    void complete_register(const config::IpAddress& group, Membership& membership,
                           const AckBody& ack, Outbox& out);
    void check_spi_collision(const config::IpAddress& group, const Membership& membership,
                             idp::TimePoint now, Outbox& out);
    // Returns true when the membership is to be erased.
    bool run_timers(const config::IpAddress& group, Membership& membership, idp::TimePoint now,
                    Outbox& out);
    void alarm_tm(const config::IpAddress& group, const NodeId& tm, AlarmKind kind,
                  const NodeId& peer, std::uint32_t spi, std::string detail, idp::TimePoint now,
                  Outbox& out);
    MembershipStatus status_of(const config::IpAddress& group, const Membership& membership) const;

    ClientConfig config_;
    MessageSigner signer_;
    AlarmSender alarm_sender_;
    Diagnostics diagnostics_;
    ReplayGuard replay_;
    std::map<config::IpAddress, Membership> memberships_;
};

}  // namespace mcsec::control::registration
