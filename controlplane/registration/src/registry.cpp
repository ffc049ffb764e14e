#include "mcsec/control/registration/registry.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace mcsec::control::registration {

namespace {

idp::Duration seconds(std::uint32_t value) {
    return std::chrono::duration_cast<idp::Duration>(std::chrono::seconds(value));
}

const NodeId& addressed_tm(const Message& message) {
    if (const auto* body = std::get_if<RegisterBody>(&message.body)) return body->tm;
    return std::get<DeleteBody>(message.body).tm;
}

std::uint8_t request_flags(const Message& message) {
    if (const auto* body = std::get_if<RegisterBody>(&message.body)) return body->flags;
    return std::get<DeleteBody>(message.body).flags;
}

}  // namespace

Registry::Registry(const MessageAuthenticator& authenticator, std::uint64_t initial_timestamp,
                   std::uint32_t spi_start, RegistryConfig config)
    : config_(config),
      signer_(authenticator, initial_timestamp),
      alarm_sender_(config.alarm_holdoff),
      diagnostics_(config.alarm_log_capacity),
      replay_(config.max_replay_streams),
      spis_(spi_start) {
    if (config_.max_lifetime_s < 1 || config_.max_lifetime_s > kMaxLifetimeSeconds) {
        throw std::invalid_argument("registry: max_lifetime_s outside 1..86400");
    }
}

void Registry::serve_group(const config::IpAddress& group, idp::Duration sa_lifetime) {
    if (!group.is_multicast()) throw std::invalid_argument("registry: group not multicast");
    groups_[group].sa_lifetime = sa_lifetime;
}

void Registry::stop_serving(const config::IpAddress& group) {
    spis_.release_group(group);
    groups_.erase(group);
}

bool Registry::serves(const config::IpAddress& group) const {
    return groups_.contains(group);
}

Registry::ServedGroup& Registry::served_for_new_epoch(const config::IpAddress& group,
                                                      std::uint64_t epoch) {
    const auto found = groups_.find(group);
    if (found == groups_.end()) throw std::invalid_argument("registry: group not served");
    ServedGroup& served = found->second;
    if (!served.epochs.empty() && epoch <= served.epochs.back()) {
        throw std::invalid_argument("registry: epoch not above the current one");
    }
    return served;
}

void Registry::record_epoch(ServedGroup& served, const config::IpAddress& group,
                            std::uint64_t epoch, idp::TimePoint now) {
    served.epochs.push_back(epoch);
    while (served.epochs.size() > kMaxEpochsInFlight) {
        spis_.release(SpiOwner{group, served.epochs.front()});
        served.epochs.erase(served.epochs.begin());
    }
    served.current_since = now;
    served.overdue_reported = false;
}

std::uint32_t Registry::begin_epoch(const config::IpAddress& group, std::uint64_t epoch,
                                    idp::TimePoint now) {
    ServedGroup& served = served_for_new_epoch(group, epoch);
    const auto spi = spis_.allocate(SpiOwner{group, epoch});
    if (!spi) throw std::runtime_error("registry: no free SPI");
    record_epoch(served, group, epoch, now);
    return *spi;
}

bool Registry::begin_epoch_with_spi(const config::IpAddress& group, std::uint64_t epoch,
                                    std::uint32_t spi, idp::TimePoint now) {
    ServedGroup& served = served_for_new_epoch(group, epoch);
    if (!spis_.reserve(SpiOwner{group, epoch}, spi)) return false;
    record_epoch(served, group, epoch, now);
    return true;
}

void Registry::retire_epoch(const config::IpAddress& group, std::uint64_t epoch) {
    spis_.release(SpiOwner{group, epoch});
    if (const auto found = groups_.find(group); found != groups_.end()) {
        std::erase(found->second.epochs, epoch);
    }
}

Verdict Registry::on_datagram(std::span<const std::uint8_t> datagram, std::string_view source,
                              idp::TimePoint now, idp::WallTime wall_now, Outbox& out) {
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
    if (message.type() == MessageType::Ack) return record(Verdict::UnexpectedType);
    const auto found = groups_.find(message.group);
    if (found == groups_.end()) return record(Verdict::NotServing);
    // Group access before any signature work: a node the access list does not admit has
    // nothing to register, and no standing to raise alarms or ask for rekeys.
    if (admits_ && !admits_(message.group, message.sender)) return record(Verdict::NotMember);

    const bool is_request = message.type() != MessageType::Alarm;
    const auto channel = is_request ? ReplayChannel::Request : ReplayChannel::Alarm;
    if (is_request) {
        // A retransmitted copy of the request already answered: the same ACK again, without
        // another signature check or signature (the bytes are those already verified).
        const auto cached = answers_.find(MemberKey{message.sender, message.group});
        if (cached != answers_.end() && std::ranges::equal(cached->second.request, datagram)) {
            if (!cached->second.ack.empty()) {
                out.datagrams.push_back(Outgoing{message.sender, cached->second.ack});
            }
            return record(Verdict::Duplicate);
        }
    }
    switch (replay_.check(message.sender, message.group, channel, message.timestamp)) {
        case Freshness::Fresh:
            break;
        case Freshness::Same:
        case Freshness::Stale:
            return record(Verdict::Replay);
        case Freshness::TableFull:
            return record(Verdict::TableFull);
    }
    if (const auto verdict = signer_.verify(parsed, wall_now); verdict != Verdict::Accepted) {
        // The claimed sender is unauthenticated here: name the address it came from too.
        record(verdict,
               std::string(to_string(verdict)) + " (sent from " + std::string(source) + ")");
        alarm_sender_.send(signer_, message.sender, message.group,
                           AlarmBody{.kind = AlarmKind::SignFailed,
                                     .peer = message.sender,
                                     .spi = 0,
                                     .detail = std::string(to_string(message.type())) +
                                               " failed its signature check at the TM"},
                           now, out);
        return verdict;
    }
    replay_.accept(message.sender, message.group, channel, message.timestamp);
    return is_request ? on_request(parsed, datagram, found->second, now, out)
                      : on_alarm(parsed, found->second, now, out);
}

Verdict Registry::on_request(const ParsedMessage& parsed, std::span<const std::uint8_t> datagram,
                             ServedGroup& served, idp::TimePoint now, Outbox& out) {
    const Message& message = parsed.message;
    const NodeId& tm = addressed_tm(message);
    if (tm != signer_.node_id()) {
        report_tm_conflict(message, tm, now, out);
        return diagnostics_.record(Verdict::TmConflict, message.group, tm, now,
                                   message.sender + " addressed its " +
                                       std::string(to_string(message.type())) + " to TM " + tm +
                                       ", and this node serves the group too",
                                   out);
    }
    const bool ack_required = (request_flags(message) & kFlagAckRequired) != 0;
    if (const auto* body = std::get_if<RegisterBody>(&message.body)) {
        auto member = served.members.find(message.sender);
        const bool known = member != served.members.end();
        if (!known && member_count() >= config_.max_members) {
            return diagnostics_.record(Verdict::TableFull, message.group, message.sender, now, {},
                                       out);
        }
        const std::uint32_t granted = std::min(body->lifetime_s, config_.max_lifetime_s);
        if (!known) {
            member = served.members.emplace(message.sender, Member{.registered_since = now}).first;
        }
        member->second.expires = now + seconds(granted);
        // A REGISTER without REFRESH from a known member means it started over (a restart):
        // keying treats that as a join, as IDP does.
        const bool renewal = known && (body->flags & kFlagRefresh) != 0;
        out.events.push_back(
            Event{.kind = renewal ? EventKind::MemberRefreshed : EventKind::MemberJoined,
                  .group = message.group,
                  .peer = message.sender,
                  .lifetime_s = granted});
        if (ack_required) acknowledge(message, datagram, served, granted, now, out);
    } else {
        if (served.members.erase(message.sender) != 0) {
            out.events.push_back(Event{
                .kind = EventKind::MemberLeft, .group = message.group, .peer = message.sender});
        }
        if (ack_required) acknowledge(message, datagram, served, 0, now, out);
    }
    return diagnostics_.record(Verdict::Accepted, message.group, message.sender, now, {}, out);
}

void Registry::acknowledge(const Message& request, std::span<const std::uint8_t> datagram,
                           const ServedGroup& served, std::uint32_t granted_s, idp::TimePoint now,
                           Outbox& out) {
    AckBody ack{.member = request.sender,
                .reflected_timestamp = request.timestamp,
                .acked = request.type(),
                .lifetime_s = granted_s};
    if (!served.epochs.empty()) {
        ack.epoch = served.epochs.back();
        ack.spi = spis_.spi_of(SpiOwner{request.group, ack.epoch}).value_or(0);
    }
    auto bytes = signer_.sign(request.group, ack);
    out.datagrams.push_back(Outgoing{request.sender, bytes});
    answers_[MemberKey{request.sender, request.group}] = CachedAnswer{
        .request = {datagram.begin(), datagram.end()}, .ack = std::move(bytes), .stored = now};
}

void Registry::report_tm_conflict(const Message& message, const NodeId& other_tm,
                                  idp::TimePoint now, Outbox& out) {
    // Seed 001 has the node that notices a conflict tell both servers; here the TM notices, so
    // it tells the member (which believes in the other TM) and the other TM.
    const std::string detail =
        signer_.node_id() + " and " + other_tm + " both act as TM of " + message.group.to_string();
    alarm_sender_.send(signer_, message.sender, message.group,
                       AlarmBody{.kind = AlarmKind::ServerConflict,
                                 .peer = other_tm,
                                 .spi = 0,
                                 .detail = detail.substr(0, kMaxAlarmDetailBytes)},
                       now, out);
    alarm_sender_.send(signer_, other_tm, message.group,
                       AlarmBody{.kind = AlarmKind::ServerConflict,
                                 .peer = signer_.node_id(),
                                 .spi = 0,
                                 .detail = detail.substr(0, kMaxAlarmDetailBytes)},
                       now, out);
}

Verdict Registry::on_alarm(const ParsedMessage& parsed, ServedGroup& served, idp::TimePoint now,
                           Outbox& out) {
    const Message& message = parsed.message;
    const auto& alarm = std::get<AlarmBody>(message.body);
    // Alarms that can move the TM (SA_EXPIRED, an SPI conflict: both start a rekey) come only
    // from a registered member of the group, or any certified node could rekey it at will. A
    // TM conflict report (SPI 0) comes from the other TM, which is not registered here.
    const bool moves_tm = alarm.kind == AlarmKind::SaExpired ||
                          (alarm.kind == AlarmKind::ServerConflict && alarm.spi != 0);
    if (moves_tm && !served.members.contains(message.sender)) {
        return diagnostics_.record(Verdict::NotRegistered, message.group, message.sender, now, {},
                                   out);
    }
    diagnostics_.raise(AlarmRecord{.kind = alarm.kind,
                                   .origin = AlarmOrigin::Received,
                                   .group = message.group,
                                   .peer = message.sender,
                                   .time = now,
                                   .spi = alarm.spi,
                                   .detail = alarm.detail},
                       out);
    if (alarm.kind == AlarmKind::ServerConflict && alarm.spi != 0) {
        // Only an SPI this registry gave to this group is ours to replace.
        const auto owner = spis_.owner_of(alarm.spi);
        if (owner && owner->group == message.group &&
            std::ranges::find(served.epochs, owner->epoch) != served.epochs.end()) {
            out.events.push_back(Event{.kind = EventKind::SpiConflictReported,
                                       .group = message.group,
                                       .peer = message.sender,
                                       .epoch = owner->epoch,
                                       .spi = alarm.spi});
        }
    }
    return diagnostics_.record(Verdict::Accepted, message.group, message.sender, now, {}, out);
}

void Registry::on_timer(idp::TimePoint now, Outbox& out) {
    for (auto& [group, served] : groups_) {
        for (auto it = served.members.begin(); it != served.members.end();) {
            if (now >= it->second.expires) {
                out.events.push_back(
                    Event{.kind = EventKind::MemberExpired, .group = group, .peer = it->first});
                it = served.members.erase(it);
            } else {
                ++it;
            }
        }
        if (served.sa_lifetime > idp::Duration::zero() && !served.epochs.empty() &&
            !served.overdue_reported && now >= served.current_since + served.sa_lifetime) {
            // This node's reading of SA_EXPIRED on the TM side: the current epoch's SA reached
            // its hard lifetime and no rekey replaced it (members keep using it, seed 001).
            served.overdue_reported = true;
            const std::uint64_t epoch = served.epochs.back();
            const std::uint32_t spi = spis_.spi_of(SpiOwner{group, epoch}).value_or(0);
            diagnostics_.raise(AlarmRecord{.kind = AlarmKind::SaExpired,
                                           .origin = AlarmOrigin::Local,
                                           .group = group,
                                           .peer = signer_.node_id(),
                                           .time = now,
                                           .spi = spi,
                                           .detail = "epoch " + std::to_string(epoch) +
                                                     " outlived its SA lifetime without a rekey"},
                               out);
            out.events.push_back(Event{.kind = EventKind::RekeyOverdue,
                                       .group = group,
                                       .peer = {},
                                       .lifetime_s = 0,
                                       .epoch = epoch,
                                       .spi = spi});
        }
    }
    // A cached answer serves retransmissions, which stop long before a lifetime has passed.
    std::erase_if(answers_, [&](const auto& entry) {
        return now - entry.second.stored >= seconds(config_.max_lifetime_s);
    });
}

std::optional<idp::TimePoint> Registry::next_due() const {
    std::optional<idp::TimePoint> due;
    const auto consider = [&due](idp::TimePoint at) {
        if (!due || at < *due) due = at;
    };
    for (const auto& [group, served] : groups_) {
        for (const auto& [node, member] : served.members) consider(member.expires);
        if (served.sa_lifetime > idp::Duration::zero() && !served.epochs.empty() &&
            !served.overdue_reported) {
            consider(served.current_since + served.sa_lifetime);
        }
    }
    return due;
}

std::vector<MemberStatus> Registry::members(const config::IpAddress& group) const {
    std::vector<MemberStatus> all;
    const auto found = groups_.find(group);
    if (found == groups_.end()) return all;
    for (const auto& [node, member] : found->second.members) {
        all.push_back(MemberStatus{
            .node = node, .registered_since = member.registered_since, .expires = member.expires});
    }
    return all;
}

std::optional<std::pair<std::uint64_t, std::uint32_t>> Registry::current_epoch(
    const config::IpAddress& group) const {
    const auto found = groups_.find(group);
    if (found == groups_.end() || found->second.epochs.empty()) return std::nullopt;
    const std::uint64_t epoch = found->second.epochs.back();
    return std::pair{epoch, spis_.spi_of(SpiOwner{group, epoch}).value_or(0)};
}

std::size_t Registry::member_count() const noexcept {
    std::size_t count = 0;
    for (const auto& [group, served] : groups_) count += served.members.size();
    return count;
}

}  // namespace mcsec::control::registration
