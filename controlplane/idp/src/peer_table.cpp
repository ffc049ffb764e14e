#include "mcsec/control/idp/peer_table.hpp"

#include <stdexcept>
#include <tuple>

namespace mcsec::control::idp {

namespace {

HelloVerdict verdict_for(AuthResult result) noexcept {
    return auth_verdict<HelloVerdict>(result);
}

IdpEvent event_for(IdpEventKind kind, const Peer& peer) {
    return IdpEvent{kind, peer.node_id, peer.black_address, peer.startup_timestamp};
}

}  // namespace

std::string_view to_string(PeerState state) noexcept {
    switch (state) {
        case PeerState::Up:
            return "up";
        case PeerState::Down:
            return "down";
    }
    return "unknown";
}

PeerTable::PeerTable(const MessageAuthenticator& verifier, Duration hello_interval,
                     std::size_t max_peers)
    : verifier_(verifier),
      dead_interval_(idp::dead_interval(hello_interval)),
      max_peers_(max_peers) {
    if (hello_interval <= Duration::zero()) {
        throw std::invalid_argument("IDP hello interval must be positive");
    }
}

HelloVerdict PeerTable::on_hello(std::span<const std::uint8_t> datagram, TimePoint now,
                                 WallTime wall_now, std::vector<IdpEvent>& events) {
    // Expire first, so that a hello arriving after its peer's deadline reads as LEAVE then
    // RESTORE whether or not the daemon's expiry timer fired in between.
    expire(now, events);
    ParsedHello parsed;
    const HelloVerdict verdict = judge(datagram, wall_now, parsed);
    ++counters_.verdicts[static_cast<std::size_t>(verdict)];
    if (verdict == HelloVerdict::Accepted) accept(parsed.hello, now, events);
    return verdict;
}

HelloVerdict PeerTable::judge(std::span<const std::uint8_t> datagram, WallTime wall_now,
                              ParsedHello& parsed) {
    if (const auto error = parse_hello(datagram, parsed); error != ParseError::Ok) {
        ++counters_.parse_errors[static_cast<std::size_t>(error)];
        return HelloVerdict::Malformed;
    }
    const Hello& hello = parsed.hello;
    if (hello.node_id == verifier_.node_id()) return HelloVerdict::OwnNodeId;

    // The replay check reads unauthenticated fields, but it can only refuse, never change the
    // table: doing it before the signature spares the expensive verification for a flood of
    // replayed datagrams.
    const auto known = peers_.find(hello.node_id);
    if (known != peers_.end()) {
        const Peer& peer = known->second;
        if (std::tie(hello.startup_timestamp, hello.sequence) <=
            std::tie(peer.startup_timestamp, peer.sequence)) {
            return HelloVerdict::Replay;
        }
        // A run announces one list: keying elected TMs from it. A different list in the same
        // run is refused before the signature check; a restart may change it.
        if (hello.startup_timestamp == peer.startup_timestamp && hello.groups != peer.groups) {
            return HelloVerdict::GroupsChanged;
        }
    } else if (peers_.size() >= max_peers_) {
        return HelloVerdict::TableFull;
    }

    return verdict_for(verifier_.verify(hello.node_id, hello.credential, parsed.signed_bytes,
                                        parsed.signature, wall_now));
}

void PeerTable::accept(const Hello& hello, TimePoint now, std::vector<IdpEvent>& events) {
    const auto [position, inserted] = peers_.try_emplace(hello.node_id);
    Peer& peer = position->second;
    const bool restarted = !inserted && hello.startup_timestamp > peer.startup_timestamp;
    const bool returned = !inserted && !restarted && peer.state == PeerState::Down;

    peer.node_id = hello.node_id;
    peer.state = PeerState::Up;
    // A new black address under the same run is taken over silently: the peer's keying state is
    // unchanged, and the unicast channel follows the address in the table.
    peer.black_address = hello.black_address;
    peer.startup_timestamp = hello.startup_timestamp;
    peer.sequence = hello.sequence;
    peer.last_heard = now;
    if (inserted || restarted) {
        peer.groups = hello.groups;
        peer.credential = hello.credential;
    }

    if (inserted || restarted) {
        events.push_back(event_for(IdpEventKind::Join, peer));
    } else if (returned) {
        events.push_back(event_for(IdpEventKind::Restore, peer));
    }
}

void PeerTable::expire(TimePoint now, std::vector<IdpEvent>& events) {
    for (auto& [node_id, peer] : peers_) {
        if (peer.state == PeerState::Up && now - peer.last_heard >= dead_interval_) {
            peer.state = PeerState::Down;
            events.push_back(event_for(IdpEventKind::Leave, peer));
        }
    }
}

std::optional<TimePoint> PeerTable::next_expiry() const {
    std::optional<TimePoint> earliest;
    for (const auto& [node_id, peer] : peers_) {
        if (peer.state != PeerState::Up) continue;
        const TimePoint deadline = peer.last_heard + dead_interval_;
        if (!earliest || deadline < *earliest) earliest = deadline;
    }
    return earliest;
}

const Peer* PeerTable::find(std::string_view node_id) const {
    const auto found = peers_.find(node_id);
    return found == peers_.end() ? nullptr : &found->second;
}

std::vector<Peer> PeerTable::peers() const {
    std::vector<Peer> all;
    all.reserve(peers_.size());
    for (const auto& [node_id, peer] : peers_) all.push_back(peer);
    return all;
}

}  // namespace mcsec::control::idp
