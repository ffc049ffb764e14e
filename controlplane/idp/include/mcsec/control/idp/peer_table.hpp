// Discovery's view of the other appliances: every hello received goes through on_hello(), and
// the table decides JOIN / LEAVE / RESTORE (docs/protocol/idp.md, "Peer state machine").
//
// The table never reads a clock: `now` comes with every call, and the result depends only on the
// calls' arguments, not on how often the daemon runs expire(). A hello arriving after a peer's
// dead interval first expires the peer (LEAVE) and then restores it, exactly as if the expiry
// timer had fired in time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/hello_verdict.hpp"
#include "mcsec/control/idp/idp_event.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/idp/wire_format.hpp"

namespace mcsec::control::idp {

enum class PeerState : std::uint8_t {
    Up,    // heard within the dead interval
    Down,  // unheard for the dead interval; kept so that its return is a RESTORE and its old
           // hellos stay replays
};

std::string_view to_string(PeerState state) noexcept;

struct Peer {
    NodeId node_id;
    PeerState state = PeerState::Up;
    config::IpAddress black_address;
    // The newest accepted (startup_timestamp, sequence): anything not greater is a replay.
    std::uint64_t startup_timestamp = 0;
    std::uint64_t sequence = 0;
    TimePoint last_heard{};
    // What the run's hellos announce: its served groups (sorted) and its credential (the DER
    // certificate, from which keying reads the attributes a group's access list may name).
    std::vector<std::string> groups;
    std::vector<std::uint8_t> credential;
};

struct HelloCounters {
    std::array<std::uint64_t, kHelloVerdictCount> verdicts{};
    // Details of HelloVerdict::Malformed.
    std::array<std::uint64_t, kParseErrorCount> parse_errors{};

    std::uint64_t count(HelloVerdict verdict) const noexcept {
        return verdicts[static_cast<std::size_t>(verdict)];
    }
    std::uint64_t count(ParseError error) const noexcept {
        return parse_errors[static_cast<std::size_t>(error)];
    }
};

class PeerTable {
  public:
    static constexpr std::size_t kDefaultMaxPeers = 1024;

    // `verifier` checks peers' signatures and names this node (whose own hellos are refused).
    // Down peers count against `max_peers` too: forgetting one would let its old hellos through.
    PeerTable(const MessageAuthenticator& verifier, Duration hello_interval,
              std::size_t max_peers = kDefaultMaxPeers);

    // One received datagram. Appends the events it causes to `events` (expiries due at `now`
    // first); `wall_now` is only for the credential's validity period. Checks run cheapest
    // first: parse, own id, replay, then the signature, and the table changes only for a hello
    // that passed them all.
    HelloVerdict on_hello(std::span<const std::uint8_t> datagram, TimePoint now, WallTime wall_now,
                          std::vector<IdpEvent>& events);

    // Marks every Up peer unheard for the dead interval as Down, appending a LEAVE for each.
    void expire(TimePoint now, std::vector<IdpEvent>& events);

    // When the next expire() can change anything: the earliest Up peer's deadline.
    std::optional<TimePoint> next_expiry() const;

    // nullptr if never accepted a hello from `node_id`.
    const Peer* find(std::string_view node_id) const;
    // Sorted by node id.
    std::vector<Peer> peers() const;

    const HelloCounters& counters() const noexcept { return counters_; }
    Duration dead_interval() const noexcept { return dead_interval_; }

  private:
    HelloVerdict judge(std::span<const std::uint8_t> datagram, WallTime wall_now,
                       ParsedHello& parsed);
    void accept(const Hello& hello, TimePoint now, std::vector<IdpEvent>& events);

    const MessageAuthenticator& verifier_;
    Duration dead_interval_;
    std::size_t max_peers_;
    std::map<NodeId, Peer, std::less<>> peers_;
    HelloCounters counters_;
};

}  // namespace mcsec::control::idp
