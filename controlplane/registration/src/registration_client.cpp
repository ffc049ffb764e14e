#include "mcsec/control/registration/registration_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace mcsec::control::registration {

namespace {

std::string hex_spi(std::uint32_t spi) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", spi);
    return text;
}

idp::Duration seconds(std::uint32_t value) {
    return std::chrono::duration_cast<idp::Duration>(std::chrono::seconds(value));
}

void validate(const ClientConfig& config) {
    if (config.retransmit_interval <= idp::Duration::zero() || config.max_attempts < 1 ||
        config.retry_after_failure <= idp::Duration::zero() ||
        config.alarm_holdoff < idp::Duration::zero() || config.lifetime_s < 1 ||
        config.lifetime_s > kMaxLifetimeSeconds) {
        throw std::invalid_argument("registration client: non-positive or out-of-range setting");
    }
    // A refresh starts at half the lifetime; all its copies and the final wait must fit into the
    // other half, or the registration could end while the refresh is still being retried.
    if (config.retransmit_interval * config.max_attempts >= seconds(config.lifetime_s) / 2) {
        throw std::invalid_argument(
            "registration client: retransmissions do not fit into half the lifetime");
    }
}

}  // namespace

std::string_view to_string(MembershipState state) noexcept {
    switch (state) {
        case MembershipState::Local:
            return "local";
        case MembershipState::Registering:
            return "registering";
        case MembershipState::Registered:
            return "registered";
        case MembershipState::Unregistered:
            return "unregistered";
        case MembershipState::Leaving:
            return "leaving";
    }
    return "unknown";
}

RegistrationClient::RegistrationClient(const MessageAuthenticator& authenticator,
                                       std::uint64_t initial_timestamp, ClientConfig config)
    : config_(config),
      signer_(authenticator, initial_timestamp),
      alarm_sender_(config.alarm_holdoff),
      diagnostics_(config.alarm_log_capacity) {
    validate(config_);
}

void RegistrationClient::set_tm(const config::IpAddress& group, const NodeId& tm,
                                idp::TimePoint now, Outbox& out) {
    if (!group.is_multicast()) throw std::invalid_argument("registration: group not multicast");
    const auto found = memberships_.find(group);
    if (found != memberships_.end() && !found->second.leaving && found->second.tm == tm) return;
    if (found != memberships_.end()) {
        const Membership& old = found->second;
        // The old TM may still hold a registration (or be about to grant one): release it so that
        // it does not count this node as a member it will never hear from again.
        if (!old.local && old.tm != tm && (old.grant || old.pending)) {
            send_best_effort_delete(group, old.tm, out);
        }
    }
    Membership& membership = memberships_[group];
    membership = Membership{};
    membership.tm = tm;
    membership.local = tm == signer_.node_id();
    if (!membership.local) {
        start_request(group, membership, MessageType::Register, false, now, out);
    }
}

bool RegistrationClient::leave(const config::IpAddress& group, idp::TimePoint now, Outbox& out) {
    const auto found = memberships_.find(group);
    if (found == memberships_.end() || found->second.leaving) return false;
    Membership& membership = found->second;
    if (!membership.local) {
        membership.leaving = true;
        membership.grant.reset();
        membership.pending.reset();
        start_request(group, membership, MessageType::Delete, false, now, out);
        if (membership.pending) return true;  // done when the ACK arrives
    }
    out.events.push_back(Event{.kind = EventKind::Left, .group = group, .peer = membership.tm});
    memberships_.erase(found);
    return true;
}

void RegistrationClient::report_sa_expired(const config::IpAddress& group, std::uint32_t spi,
                                           idp::TimePoint now, Outbox& out, std::string detail) {
    const auto found = memberships_.find(group);
    const bool remote = found != memberships_.end() && !found->second.local;
    if (detail.empty()) {
        detail = "SA " + hex_spi(spi) + " reached its hard lifetime without a successor";
    }
    diagnostics_.raise(AlarmRecord{.kind = AlarmKind::SaExpired,
                                   .origin = AlarmOrigin::Local,
                                   .group = group,
                                   .peer = remote ? found->second.tm : signer_.node_id(),
                                   .time = now,
                                   .spi = spi,
                                   .detail = detail},
                       out);
    if (remote) {
        alarm_tm(group, found->second.tm, AlarmKind::SaExpired, found->second.tm, spi, detail, now,
                 out);
    }
}

void RegistrationClient::start_request(const config::IpAddress& group, Membership& membership,
                                       MessageType type, bool refresh, idp::TimePoint now,
                                       Outbox& out) {
    const std::uint8_t ack_flag = config_.ack_required ? kFlagAckRequired : 0;
    std::uint64_t timestamp = 0;
    std::vector<std::uint8_t> datagram;
    if (type == MessageType::Register) {
        datagram = signer_.sign(group,
                                RegisterBody{.tm = membership.tm,
                                             .flags = static_cast<std::uint8_t>(
                                                 ack_flag | (refresh ? kFlagRefresh : 0)),
                                             .lifetime_s = config_.lifetime_s},
                                &timestamp);
    } else {
        datagram =
            signer_.sign(group, DeleteBody{.tm = membership.tm, .flags = ack_flag}, &timestamp);
    }
    out.datagrams.push_back(Outgoing{membership.tm, datagram});
    if (config_.ack_required) {
        membership.pending = Pending{.type = type,
                                     .refresh = refresh,
                                     .timestamp = timestamp,
                                     .datagram = std::move(datagram),
                                     .first_sent = now,
                                     .next_send = now + config_.retransmit_interval,
                                     .sent = 1};
        return;
    }
    // Without ACK_REQD nothing will answer: a REGISTER counts as granted as asked.
    if (type == MessageType::Register) {
        const bool renewed = membership.grant.has_value();
        membership.grant = Grant{.lifetime_s = config_.lifetime_s,
                                 .epoch = 0,
                                 .spi = 0,
                                 .refresh_due = now + seconds(config_.lifetime_s) / 2,
                                 .expires = now + seconds(config_.lifetime_s)};
        out.events.push_back(Event{.kind = renewed ? EventKind::Refreshed : EventKind::Registered,
                                   .group = group,
                                   .peer = membership.tm,
                                   .lifetime_s = config_.lifetime_s});
    }
}

void RegistrationClient::send_best_effort_delete(const config::IpAddress& group, const NodeId& tm,
                                                 Outbox& out) {
    out.datagrams.push_back(Outgoing{tm, signer_.sign(group, DeleteBody{.tm = tm, .flags = 0})});
}

Verdict RegistrationClient::on_datagram(std::span<const std::uint8_t> datagram,
                                        std::string_view source, idp::TimePoint now,
                                        idp::WallTime wall_now, Outbox& out) {
    ParsedMessage parsed;
    if (const auto error = parse(datagram, parsed); error != ParseError::Ok) {
        return diagnostics_.record_malformed(error, std::string(source), now, out);
    }
    const Message& message = parsed.message;
    const auto record = [&](Verdict verdict, std::string detail = {}) {
        return diagnostics_.record(verdict, message.group, message.sender, now, std::move(detail),
                                   out);
    };
    if (message.sender == signer_.node_id()) return record(Verdict::OwnNodeId);
    if (message.type() == MessageType::Register || message.type() == MessageType::Delete) {
        return record(Verdict::UnexpectedType);
    }
    const auto found = memberships_.find(message.group);
    if (found == memberships_.end()) return record(Verdict::UnknownGroup);
    Membership& membership = found->second;
    if (membership.local || message.sender != membership.tm) return record(Verdict::NotFromTm);

    // Cheap refusals before the signature check; they can only refuse, so a forgery gains
    // nothing by passing them.
    if (const auto* ack = std::get_if<AckBody>(&message.body)) {
        const bool answers_pending =
            membership.pending && ack->reflected_timestamp == membership.pending->timestamp;
        if (!answers_pending) {
            const bool repeat =
                membership.last_acked != 0 && ack->reflected_timestamp == membership.last_acked;
            return record(repeat ? Verdict::Duplicate : Verdict::StaleAck);
        }
    } else {
        switch (
            replay_.check(message.sender, message.group, ReplayChannel::Alarm, message.timestamp)) {
            case Freshness::Fresh:
                break;
            case Freshness::Same:
            case Freshness::Stale:
                return record(Verdict::Replay);
            case Freshness::TableFull:
                return record(Verdict::TableFull);
        }
    }

    if (const auto verdict = signer_.verify(parsed, wall_now); verdict != Verdict::Accepted) {
        record(verdict,
               std::string(to_string(verdict)) + " (sent from " + std::string(source) + ")");
        // Seed 001: a message that fails its signature is ignored and SIGN_FAILED goes back to
        // the key server.
        alarm_tm(message.group, membership.tm, AlarmKind::SignFailed, membership.tm, 0,
                 std::string(to_string(message.type())) +
                     " from the TM failed its signature check: " + std::string(to_string(verdict)),
                 now, out);
        return verdict;
    }

    if (message.type() == MessageType::Ack) {
        const auto verdict = on_ack(message.group, membership, parsed, now, out);
        if (verdict == Verdict::Accepted && membership.leaving && !membership.pending) {
            memberships_.erase(found);
        }
        return verdict;
    }

    const auto& alarm = std::get<AlarmBody>(message.body);
    replay_.accept(message.sender, message.group, ReplayChannel::Alarm, message.timestamp);
    diagnostics_.raise(AlarmRecord{.kind = alarm.kind,
                                   .origin = AlarmOrigin::Received,
                                   .group = message.group,
                                   .peer = message.sender,
                                   .time = now,
                                   .spi = alarm.spi,
                                   .detail = alarm.detail},
                       out);
    return record(Verdict::Accepted);
}

Verdict RegistrationClient::on_ack(const config::IpAddress& group, Membership& membership,
                                   const ParsedMessage& parsed, idp::TimePoint now, Outbox& out) {
    const auto& ack = std::get<AckBody>(parsed.message.body);
    Pending& pending = *membership.pending;
    if (ack.member != signer_.node_id() || ack.acked != pending.type) {
        // Signed by the TM yet not about our request: the two sides have lost step (seed 001's
        // MALFORMED_PACKET, "a loss of synchronization").
        const std::string detail = "ACK for member " + ack.member + " of a " +
                                   std::string(to_string(ack.acked)) + ", sent a " +
                                   std::string(to_string(pending.type));
        diagnostics_.record(Verdict::Inconsistent, group, membership.tm, now, detail, out);
        alarm_tm(group, membership.tm, AlarmKind::MalformedPacket, membership.tm, 0, detail, now,
                 out);
        return Verdict::Inconsistent;
    }
    membership.last_acked = pending.timestamp;
    if (pending.type == MessageType::Delete) {
        out.events.push_back(Event{.kind = EventKind::Left, .group = group, .peer = membership.tm});
        membership.pending.reset();
    } else {
        complete_register(group, membership, ack, out);
        check_spi_collision(group, membership, now, out);
    }
    return diagnostics_.record(Verdict::Accepted, group, membership.tm, now, {}, out);
}

void RegistrationClient::complete_register(const config::IpAddress& group, Membership& membership,
                                           const AckBody& ack, Outbox& out) {
    const Pending& pending = *membership.pending;
    const bool renewed = pending.refresh && membership.grant.has_value();
    // Counted from the first copy: the TM's lifetime started when it received one, no earlier.
    const auto lifetime = seconds(ack.lifetime_s);
    membership.grant = Grant{.lifetime_s = ack.lifetime_s,
                             .epoch = ack.epoch,
                             .spi = ack.spi,
                             .refresh_due = pending.first_sent + lifetime / 2,
                             .expires = pending.first_sent + lifetime};
    membership.pending.reset();
    out.events.push_back(Event{.kind = renewed ? EventKind::Refreshed : EventKind::Registered,
                               .group = group,
                               .peer = membership.tm,
                               .lifetime_s = ack.lifetime_s,
                               .epoch = ack.epoch,
                               .spi = ack.spi});
}

void RegistrationClient::check_spi_collision(const config::IpAddress& group,
                                             const Membership& membership, idp::TimePoint now,
                                             Outbox& out) {
    const std::uint32_t spi = membership.grant->spi;
    if (spi == 0) return;
    for (const auto& [other_group, other] : memberships_) {
        if (other_group == group || !other.grant || other.grant->spi != spi) continue;
        // Seed 001: the node that sees two servers' configurations clash tells both.
        const std::string detail = "SPI " + hex_spi(spi) + " given to " + group.to_string() +
                                   " by " + membership.tm + " and to " + other_group.to_string() +
                                   " by " + other.tm;
        const bool reported =
            alarm_sender_.send(signer_, membership.tm, group,
                               AlarmBody{.kind = AlarmKind::ServerConflict,
                                         .peer = other.tm,
                                         .spi = spi,
                                         .detail = detail.substr(0, kMaxAlarmDetailBytes)},
                               now, out);
        alarm_sender_.send(signer_, other.tm, other_group,
                           AlarmBody{.kind = AlarmKind::ServerConflict,
                                     .peer = membership.tm,
                                     .spi = spi,
                                     .detail = detail.substr(0, kMaxAlarmDetailBytes)},
                           now, out);
        // Logged once per hold-off, like the report, so refreshes do not flood the log.
        if (reported) {
            diagnostics_.raise(AlarmRecord{.kind = AlarmKind::ServerConflict,
                                           .origin = AlarmOrigin::Local,
                                           .group = group,
                                           .peer = other.tm,
                                           .time = now,
                                           .spi = spi,
                                           .detail = detail},
                               out);
        }
    }
}

void RegistrationClient::alarm_tm(const config::IpAddress& group, const NodeId& tm, AlarmKind kind,
                                  const NodeId& peer, std::uint32_t spi, std::string detail,
                                  idp::TimePoint now, Outbox& out) {
    if (detail.size() > kMaxAlarmDetailBytes) detail.resize(kMaxAlarmDetailBytes);
    alarm_sender_.send(
        signer_, tm, group,
        AlarmBody{.kind = kind, .peer = peer, .spi = spi, .detail = std::move(detail)}, now, out);
}

void RegistrationClient::on_timer(idp::TimePoint now, Outbox& out) {
    for (auto it = memberships_.begin(); it != memberships_.end();) {
        if (run_timers(it->first, it->second, now, out)) {
            it = memberships_.erase(it);
        } else {
            ++it;
        }
    }
}

bool RegistrationClient::run_timers(const config::IpAddress& group, Membership& membership,
                                    idp::TimePoint now, Outbox& out) {
    if (membership.local) return false;
    if (membership.pending && now >= membership.pending->next_send) {
        Pending& pending = *membership.pending;
        if (pending.sent < config_.max_attempts) {
            // An identical copy: same timestamp, same signature, so the TM can tell it from a
            // new request and answer it from its cache.
            out.datagrams.push_back(Outgoing{membership.tm, pending.datagram});
            ++pending.sent;
            pending.next_send = now + config_.retransmit_interval;
        } else if (membership.leaving) {
            out.events.push_back(
                Event{.kind = EventKind::LeaveUnconfirmed, .group = group, .peer = membership.tm});
            return true;
        } else {
            out.events.push_back(Event{
                .kind = EventKind::RegistrationFailed, .group = group, .peer = membership.tm});
            membership.pending.reset();
            membership.retry_at = now + config_.retry_after_failure;
        }
    }
    if (membership.grant && now >= membership.grant->expires) {
        out.events.push_back(
            Event{.kind = EventKind::Lapsed, .group = group, .peer = membership.tm});
        membership.grant.reset();
    }
    if (membership.leaving || membership.pending) return false;
    if (membership.grant) {
        if (now >= std::max(membership.grant->refresh_due, membership.retry_at)) {
            start_request(group, membership, MessageType::Register, true, now, out);
        }
    } else if (now >= membership.retry_at) {
        start_request(group, membership, MessageType::Register, false, now, out);
    }
    return false;
}

std::optional<idp::TimePoint> RegistrationClient::next_due() const {
    std::optional<idp::TimePoint> due;
    const auto consider = [&due](idp::TimePoint at) {
        if (!due || at < *due) due = at;
    };
    for (const auto& [group, membership] : memberships_) {
        if (membership.local) continue;
        if (membership.pending) consider(membership.pending->next_send);
        if (membership.grant) consider(membership.grant->expires);
        if (membership.leaving || membership.pending) continue;
        consider(membership.grant ? std::max(membership.grant->refresh_due, membership.retry_at)
                                  : membership.retry_at);
    }
    return due;
}

MembershipStatus RegistrationClient::status_of(const config::IpAddress& group,
                                               const Membership& membership) const {
    MembershipStatus status;
    status.group = group;
    status.tm = membership.tm;
    if (membership.local) {
        status.state = MembershipState::Local;
    } else if (membership.leaving) {
        status.state = MembershipState::Leaving;
    } else if (membership.grant) {
        status.state = MembershipState::Registered;
        status.expires = membership.grant->expires;
        status.epoch = membership.grant->epoch;
        status.spi = membership.grant->spi;
    } else if (membership.pending) {
        status.state = MembershipState::Registering;
    } else {
        status.state = MembershipState::Unregistered;
    }
    return status;
}

std::vector<MembershipStatus> RegistrationClient::memberships() const {
    std::vector<MembershipStatus> all;
    for (const auto& [group, membership] : memberships_)
        all.push_back(status_of(group, membership));
    return all;
}

std::optional<MembershipStatus> RegistrationClient::membership(
    const config::IpAddress& group) const {
    const auto found = memberships_.find(group);
    if (found == memberships_.end()) return std::nullopt;
    return status_of(group, found->second);
}

}  // namespace mcsec::control::registration
