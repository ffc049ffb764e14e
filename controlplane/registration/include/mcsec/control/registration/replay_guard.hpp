// Replay protection for signed registration messages: per (sender, group, channel) the newest
// accepted timestamp, which the next message must exceed.
//
// Why per group and channel, not per sender: a member's timestamps grow over everything it
// sends, but its requests for different groups (and its alarms) are independent streams. The
// retransmitted copy of the one outstanding REGISTER for group A must still pass after a newer
// REGISTER for group B or a newer ALARM was accepted, and within one stream only the newest
// request is ever outstanding, so each stream's timestamps arrive in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <tuple>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"

namespace mcsec::control::registration {

enum class ReplayChannel : std::uint8_t {
    Request,  // REGISTER and DELETE (a DELETE supersedes an outstanding REGISTER)
    Alarm,
};

enum class Freshness : std::uint8_t {
    Fresh,      // newer than anything accepted on this stream
    Same,       // equal to the newest accepted: a retransmitted copy, or a replay of it
    Stale,      // older
    TableFull,  // a new stream while the table holds its maximum
};

class ReplayGuard {
  public:
    static constexpr std::size_t kDefaultMaxStreams = 65536;

    // Entries are kept for good (as IDP keeps down peers), so that an old message cannot come
    // back once its stream is idle; `max_streams` bounds the memory a flood of signed messages
    // from many identities could claim.
    explicit ReplayGuard(std::size_t max_streams = kDefaultMaxStreams) : max_(max_streams) {}

    Freshness check(const NodeId& sender, const config::IpAddress& group, ReplayChannel channel,
                    std::uint64_t timestamp) const;
    // Records `timestamp` as the newest of its stream; call only for a message whose signature
    // verified, so that a forgery cannot advance the stream.
    void accept(const NodeId& sender, const config::IpAddress& group, ReplayChannel channel,
                std::uint64_t timestamp);

    std::size_t size() const noexcept { return newest_.size(); }

  private:
    using Key = std::tuple<NodeId, config::IpAddress, ReplayChannel>;

    std::size_t max_;
    std::map<Key, std::uint64_t> newest_;
};

}  // namespace mcsec::control::registration
