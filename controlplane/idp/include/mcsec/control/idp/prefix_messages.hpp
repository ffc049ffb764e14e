// The red-prefix exchange messages (docs/protocol/idp.md, "PREFIX_ANNOUNCEMENT", "PREFIX_ACK").
// They travel over TLS 1.3 with mutual certificate authentication, which authenticates the sender
// and protects against replay; the messages therefore carry no signature of their own, and the
// receiver checks that the node id inside equals the TLS peer's identity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/wire_format.hpp"

namespace mcsec::control::idp {

// Bounded so that the largest announcement (all IPv6) stays under kMaxMessageBytes.
inline constexpr std::size_t kMaxPrefixesPerAnnouncement = 64;

// "These are all of my red prefixes": a full set, never a delta, so any one announcement that
// arrives replaces what the receiver held.
struct PrefixAnnouncement {
    NodeId node_id;
    // The announcer's hello startup timestamp and a counter that grows whenever its set changes;
    // the pair orders announcements across restarts of the announcer.
    std::uint64_t startup_timestamp = 0;
    std::uint64_t version = 0;
    // Network prefixes (no host bits), at most kMaxPrefixesPerAnnouncement.
    std::vector<config::Prefix> prefixes;

    friend bool operator==(const PrefixAnnouncement&, const PrefixAnnouncement&) = default;
};

// "I hold announcement (startup_timestamp, version) of yours"; node_id names the acknowledger.
struct PrefixAck {
    NodeId node_id;
    std::uint64_t startup_timestamp = 0;
    std::uint64_t version = 0;

    friend bool operator==(const PrefixAck&, const PrefixAck&) = default;
};

// Throw std::invalid_argument for an invalid node id, too many prefixes or a prefix with host
// bits: the encoder never produces what the parser would refuse.
std::vector<std::uint8_t> encode_prefix_announcement(const PrefixAnnouncement& announcement);
std::vector<std::uint8_t> encode_prefix_ack(const PrefixAck& ack);

// `bytes` must be exactly one message (frame a stream with peek_header first). On any error the
// output is unspecified.
ParseError parse_prefix_announcement(std::span<const std::uint8_t> bytes,
                                     PrefixAnnouncement& announcement);
ParseError parse_prefix_ack(std::span<const std::uint8_t> bytes, PrefixAck& ack);

}  // namespace mcsec::control::idp
