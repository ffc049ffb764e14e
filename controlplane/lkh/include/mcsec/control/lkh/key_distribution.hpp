// The designated sender's LKH engine for one group (docs/protocol/lkh.md, "Key distribution"):
// the KeyServer, the receivers it admitted by node id, the batch window, the signed messages and
// their paced copies, and the periodic State that lets silent (EMCON) receivers catch up. A pure
// state machine like GroupKeying: the daemon passes the time into every call, multicasts what
// poll() returns and starts a MIKE rekey when needs_new_tek() says a revocation waits for one.
//
//   admit(receiver)      registration: a leaf, an individual key, the path's seeds and the
//                        current TEK for it (re-admitting a known receiver first removes its
//                        old leaf)
//   revoke(receiver)     operator, certificate expiry, policy change: removed at the end of
//                        the batch window, with the next TEK
//   on_tek(tek)          MIKE's new epoch key: flushes everything pending with it (one wrap
//                        when only the TEK changed)
//   tek_deliverable_at() when the last copy carrying the newest TEK has left the link: senders
//                        switch to it after that (make-before-break over a narrowband hop)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/key_server.hpp"
#include "mcsec/control/lkh/push_schedule.hpp"

namespace mcsec::control::lkh {

// Whether a node has a role in the group (a sender whose pushes count, a receiver the desk may
// admit), from its id and the credential its message carries (for access-list patterns on
// certificate attributes; the signature check that follows verifies that credential).
using NodeCheck = std::function<bool(const NodeId&, std::span<const std::uint8_t> credential)>;

struct DistributionParams {
    std::vector<std::uint8_t> group_id;
    unsigned degree = 2;
    std::size_t max_receivers = 10000;
    LinkBudget link;
    unsigned copies = 3;              // identical copies of every message
    Duration batch_window{1000};      // changes within it cost one rekey
    Duration state_interval{60000};   // a State message at least this often
    std::uint64_t state_covers = 32;  // messages a State covers (older: re-register)
    // The first message id of the tree (ids count within a tree, which has its own random id).
    std::uint64_t first_message_id = 1;
    // Where set, every message id is at least what this returns (the daemon: the wall clock in
    // microseconds). Two senders that both served the tree during a partition then number
    // alike: whatever the surviving one sends after the partition is newer than anything either
    // sent during it, so no receiver takes it for a replay (docs/protocol/lkh.md, "Split brain").
    std::function<std::uint64_t()> message_id_floor;
    // Keys per message: 0 picks one that keeps a message within one 1,400-byte packet on a
    // link below 1 Mbit/s, the datagram maximum otherwise.
    std::size_t max_keys_per_message = 0;
    // HandOver (default): a newcomer gets the current path seeds at registration and nothing is
    // pushed; Renew: its path is renewed by a push (backward secrecy for recorded rekeys, at
    // (d-1)*h wraps of air time per admission). docs/protocol/lkh.md, "Admission".
    KeyServer::PathRenewal admission = KeyServer::PathRenewal::HandOver;
};

// What a registration answer carries to the receiver (over an authenticated, confidential
// channel: it holds keys).
struct Registration {
    NodeIndex leaf = 0;
    WipedBuffer individual_key;  // kKekBytes
    WipedBuffer path_seeds;      // height x kSeedBytes, root first; empty under Renew
    std::uint64_t root_version = 0;
    std::uint64_t last_message_id = 0;
    std::uint64_t tree_id = 0;    // the tree the keys belong to (PushContent::tree_id)
    std::uint64_t tek_epoch = 0;  // 0: no TEK yet
    std::uint32_t tek_spi = 0;
    WipedBuffer tek;  // key || salt
};

struct DistributionCounters {
    std::uint64_t admissions = 0;
    std::uint64_t revocations = 0;
    std::uint64_t rekeys = 0;    // flushes (each one or more messages)
    std::uint64_t messages = 0;  // distinct REKEY and STATE messages
    std::uint64_t state_messages = 0;
    std::uint64_t wraps = 0;           // RFC 3394/5649 wraps in REKEY messages
    std::uint64_t datagrams_sent = 0;  // copies included
    std::uint64_t bytes_sent = 0;
};

// How long the copies of a push that carries only a new TEK (a sender-side rekey: one wrap)
// occupy the receivers' link, measured on a real encoding signed by `signer`. Every sender
// delays its switch to a new key by at least this much, so receivers have it first (the
// make-before-break of docs/protocol/lkh.md, "Air time").
Duration tek_push_air_time(const DistributionParams& params, const MessageAuthenticator& signer);

class KeyDistribution {
  public:
    static std::optional<KeyDistribution> create(DistributionParams params,
                                                 const MessageAuthenticator& signer);

    std::optional<Registration> admit(const NodeId& receiver, TimePoint now);
    bool revoke(const NodeId& receiver, TimePoint now);
    bool needs_new_tek(TimePoint now) const noexcept;
    // When a pending removal will need a new TEK (the end of its batch window); none without one.
    std::optional<TimePoint> new_tek_due() const noexcept {
        if (!server_.removal_pending() || !window_ends_) return std::nullopt;
        return window_ends_;
    }
    // False if the TEK is refused (older epoch, bad size) or the flush fails.
    bool on_tek(const Tek& tek, TimePoint now);

    std::vector<std::vector<std::uint8_t>> poll(TimePoint now);
    // The next poll() sends a State message (after a split brain: receivers that followed the
    // other side's key server find out at once whether they can follow this one).
    void send_state_now(TimePoint now) noexcept {
        next_state_ = now;
        announce_tree_ = true;
    }
    TimePoint next_due() const noexcept;
    TimePoint tek_deliverable_at() const noexcept { return tek_deliverable_at_; }

    std::optional<NodeIndex> leaf_of(const NodeId& receiver) const;
    const std::map<NodeId, NodeIndex>& receivers() const noexcept { return receivers_; }
    const TreeShape& shape() const noexcept { return server_.shape(); }
    const DistributionCounters& counters() const noexcept { return counters_; }

    // The distribution's state for the group's other senders (distribution_state.cpp): the
    // tree, the receivers' leaves, the open batch window, the ids a State covers. Not the TEK
    // and not the queued copies. Secret: wiped with the buffer.
    WipedBuffer export_state(TimePoint now) const;
    // A distribution that continues the exported one (same tree, ids above it), signed by
    // `signer`; nullopt if `state` is not one or not of `params`' tree shape.
    static std::optional<KeyDistribution> restore(DistributionParams params,
                                                  const MessageAuthenticator& signer,
                                                  std::span<const std::uint8_t> state,
                                                  TimePoint now);
    std::uint64_t tree_id() const noexcept { return server_.tree_id(); }
    std::uint64_t last_message_id() const noexcept { return server_.last_message_id(); }

  private:
    KeyDistribution(DistributionParams params, const MessageAuthenticator& signer,
                    KeyServer server);
    void raise_message_ids();
    bool flush_with(const Tek& tek, TimePoint now);
    void send(const std::vector<PushContent>& messages, TimePoint now);

    DistributionParams params_;
    const MessageAuthenticator* signer_;
    KeyServer server_;
    PushSchedule schedule_;
    std::map<NodeId, NodeIndex> receivers_;
    std::optional<TimePoint> window_ends_;  // pending changes flush then
    WipedBuffer tek_;                       // the current TEK, for flushes without a new one
    std::uint64_t tek_epoch_ = 0;
    std::uint32_t tek_spi_ = 0;
    TimePoint next_state_{};
    // A new tree's first TEK is followed by a State at once, receivers or not: receivers of an
    // earlier tree find it unopenable and re-register rather than wait for the interval.
    bool announce_tree_ = true;
    TimePoint tek_deliverable_at_{};
    std::vector<std::uint64_t> recent_ids_;  // the last state_covers message ids, oldest first
    DistributionCounters counters_;
};

}  // namespace mcsec::control::lkh
