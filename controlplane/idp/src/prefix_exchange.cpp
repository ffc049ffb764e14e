#include "mcsec/control/idp/prefix_exchange.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace mcsec::control::idp {

PrefixExchange::PrefixExchange(NodeId self, std::uint64_t startup_timestamp,
                               Duration hello_interval)
    : interval_(hello_interval), local_{std::move(self), startup_timestamp, 1, {}} {
    if (interval_ <= Duration::zero()) {
        throw std::invalid_argument("IDP hello interval must be positive");
    }
    encoded_local_ = encode_prefix_announcement(local_);
}

bool PrefixExchange::set_local_prefixes(std::vector<config::Prefix> prefixes, TimePoint now) {
    for (auto& prefix : prefixes) prefix = prefix.network();
    std::sort(prefixes.begin(), prefixes.end());
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
    if (prefixes.size() > kMaxPrefixesPerAnnouncement) {
        throw std::invalid_argument("more red prefixes than one IDP announcement carries");
    }
    if (prefixes == local_.prefixes) return false;

    local_.prefixes = std::move(prefixes);
    ++local_.version;
    encoded_local_ = encode_prefix_announcement(local_);
    for (auto& [peer, session] : sessions_) {
        mark_changed(session, now);
        session.next_announcement = now;  // a change goes out at once, not at the next tick
    }
    return true;
}

void PrefixExchange::on_event(const IdpEvent& event, TimePoint now) {
    if (event.node_id == local_.node_id) return;
    switch (event.kind) {
        case IdpEventKind::Join:
            // A restarted peer has lost what it held from us and numbers its own
            // announcements afresh.
            sessions_[event.node_id] = Session{};
            break;
        case IdpEventKind::Restore:
            // It kept its state, but ours may have moved on while it was away: it acknowledges
            // again before the exchange may go quiet.
            sessions_[event.node_id].acked_version = 0;
            break;
        case IdpEventKind::Leave:
            sessions_.erase(event.node_id);
            return;
    }
    Session& session = sessions_[event.node_id];
    session.last_change = now;
    session.next_announcement = now;
}

bool PrefixExchange::settled(const Session& session, TimePoint now) const noexcept {
    return session.acked_version == local_.version &&
           now - session.last_change >= dead_interval(interval_);
}

void PrefixExchange::mark_changed(Session& session, TimePoint now) const {
    session.last_change = now;
    if (!session.next_announcement) session.next_announcement = now;
}

std::vector<OutgoingMessage> PrefixExchange::poll(TimePoint now) {
    std::vector<OutgoingMessage> due;
    for (auto& [peer, session] : sessions_) {
        if (settled(session, now)) {
            session.next_announcement.reset();
            continue;
        }
        if (!session.next_announcement || *session.next_announcement > now) continue;
        due.push_back(OutgoingMessage{peer, encoded_local_});
        *session.next_announcement += interval_;
        if (*session.next_announcement <= now) session.next_announcement = now + interval_;
    }
    return due;
}

std::optional<TimePoint> PrefixExchange::next_due() const {
    std::optional<TimePoint> earliest;
    for (const auto& [peer, session] : sessions_) {
        if (!session.next_announcement) continue;
        if (!earliest || *session.next_announcement < *earliest) {
            earliest = session.next_announcement;
        }
    }
    return earliest;
}

PrefixVerdict PrefixExchange::on_message(std::string_view tls_peer,
                                         std::span<const std::uint8_t> bytes, TimePoint now,
                                         std::vector<OutgoingMessage>& replies) {
    MessageHeader header;
    if (peek_header(bytes, header) != ParseError::Ok) {
        return count_and_return(PrefixVerdict::Malformed);
    }
    if (header.type == MessageType::PrefixAnnouncement) {
        PrefixAnnouncement announcement;
        if (parse_prefix_announcement(bytes, announcement) != ParseError::Ok) {
            return count_and_return(PrefixVerdict::Malformed);
        }
        if (announcement.node_id != tls_peer) return count_and_return(PrefixVerdict::NodeMismatch);
        const auto session = sessions_.find(tls_peer);
        if (session == sessions_.end()) return count_and_return(PrefixVerdict::UnknownPeer);
        return count_and_return(on_announcement(session->second, announcement, now, replies));
    }
    if (header.type == MessageType::PrefixAck) {
        PrefixAck ack;
        if (parse_prefix_ack(bytes, ack) != ParseError::Ok) {
            return count_and_return(PrefixVerdict::Malformed);
        }
        if (ack.node_id != tls_peer) return count_and_return(PrefixVerdict::NodeMismatch);
        const auto session = sessions_.find(tls_peer);
        if (session == sessions_.end()) return count_and_return(PrefixVerdict::UnknownPeer);
        return count_and_return(on_ack(session->second, ack));
    }
    // Hellos are multicast only; one on the unicast channel is out of place.
    return count_and_return(PrefixVerdict::Malformed);
}

PrefixVerdict PrefixExchange::on_announcement(Session& session,
                                              const PrefixAnnouncement& announcement, TimePoint now,
                                              std::vector<OutgoingMessage>& replies) {
    const auto received = std::tie(announcement.startup_timestamp, announcement.version);
    const auto held = std::tie(session.peer_startup_timestamp, session.peer_version);
    if (session.received_any && received < held) return PrefixVerdict::Stale;

    // A duplicate is acknowledged again: our previous acknowledgement may have been lost.
    const bool duplicate = session.received_any && received == held;
    replies.push_back(
        OutgoingMessage{announcement.node_id,
                        encode_prefix_ack(PrefixAck{local_.node_id, announcement.startup_timestamp,
                                                    announcement.version})});
    if (duplicate) return PrefixVerdict::Duplicate;

    session.received_any = true;
    session.peer_startup_timestamp = announcement.startup_timestamp;
    session.peer_version = announcement.version;
    session.peer_prefixes = announcement.prefixes;
    mark_changed(session, now);
    return PrefixVerdict::Accepted;
}

PrefixVerdict PrefixExchange::on_ack(Session& session, const PrefixAck& ack) {
    // Only an acknowledgement of exactly what we announce now counts; one for an older version
    // (overtaken by a change) or from another run of ours says nothing about the current set.
    if (ack.startup_timestamp != local_.startup_timestamp || ack.version != local_.version) {
        return PrefixVerdict::Stale;
    }
    session.acked_version = ack.version;
    return PrefixVerdict::Acknowledged;
}

PrefixVerdict PrefixExchange::count_and_return(PrefixVerdict verdict) noexcept {
    ++counters_[static_cast<std::size_t>(verdict)];
    return verdict;
}

const std::vector<config::Prefix>* PrefixExchange::peer_prefixes(std::string_view peer) const {
    const auto session = sessions_.find(peer);
    return session == sessions_.end() ? nullptr : &session->second.peer_prefixes;
}

bool PrefixExchange::quiet(std::string_view peer, TimePoint now) const {
    const auto session = sessions_.find(peer);
    return session != sessions_.end() && settled(session->second, now);
}

}  // namespace mcsec::control::idp
