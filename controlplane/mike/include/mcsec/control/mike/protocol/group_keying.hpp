// The MIKE protocol engine for one protected group (docs/protocol/mike.md): a pure state machine
// on top of the TGDH key tree. The daemon feeds it discovery events and received datagrams,
// multicasts what poll() returns on the black network and installs what take_new_key() returns.
// It never reads a clock, sleeps or touches a socket: every call takes the time, so the unit
// tests run whole groups on a simulated clock over a simulated lossy network.
//
// Roles: every node is a member (it holds a leaf secret and derives each epoch's key itself);
// the elected transaction manager (TM, the smallest live node id) additionally owns the public
// tree, performs the membership operations one at a time and spreads the tree. JOIN and RESTORE
// are executed by the (re)joining node (JOIN_REQUEST), LEAVE only by the TM, a leaving TM hands
// its state over first (HANDOVER), a crashed TM is replaced by the next election.
//
// Files: group_keying.cpp (election, the common receive checks, timers, shutdown, the phase),
// member_role.cpp (the member's duties), tm_role.cpp (the TM's). phase() names where the node
// stands; each change is checked against phase.hpp's transition table.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/control/access/group_access.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/idp_event.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/mike_error.hpp"
#include "mcsec/control/mike/protocol/epoch_key.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"
#include "mcsec/control/mike/protocol/phase.hpp"
#include "mcsec/control/mike/protocol/replay_window.hpp"
#include "mcsec/control/mike/protocol/verdict.hpp"
#include "mcsec/control/mike/tree_member.hpp"

namespace mcsec::control::mike {

using idp::Duration;
using idp::TimePoint;
using idp::WallTime;

class GroupKeying {
  public:
    struct Params {
        NodeId self;  // must equal the authenticator's node id
        // This run's IDP startup timestamp; every message carries it as its session, and peers
        // accept only the session their discovery reports for this node.
        std::uint64_t startup_timestamp = 0;
        std::vector<std::uint8_t> group_id;  // 1..255 bytes, e.g. the group address as text
        config::Transform transform = config::Transform::AesGcm256;
        Duration hello_interval{1000};  // H: the retransmission interval
        // How long a newly elected TM that holds no state waits for a HANDOVER before it founds
        // a new group (0: 2H). How long the TM waits for a sponsor's PATH_UPDATE before it
        // removes the sponsor (0: 4H, the dead interval).
        Duration found_delay{0};
        Duration sponsor_timeout{0};
        // The group's access list as this node's config has it (access::role_in): who may be in
        // the tree, and who may be the TM (senders only). Unset: an open group, every node a
        // sender. Discovery events should name only nodes that announce the group and are
        // members; the engine checks again wherever a node gains a role.
        std::function<access::Role(const NodeId&)> role_of;
    };

    // The most an epoch may lie above every epoch this node has seen (TM state and tree members
    // included): ordinary operation moves it by one per tree operation, so a bigger jump is a
    // member trying to exhaust the 64-bit epoch space (advance_epoch would fail for good).
    static constexpr std::uint64_t kMaxEpochJump = std::uint64_t{1} << 32;

    // Checks the parameters (InvalidMemberId, BadGroupId) and creates the leaf secret.
    static Result<GroupKeying> create(Params params, const MessageAuthenticator& auth,
                                      TimePoint now);

    // Discovery's decisions about peers (JOIN, LEAVE, RESTORE); events naming this node itself
    // are ignored (this node is always live to itself).
    void on_membership(const idp::IdpEvent& event, TimePoint now);
    // A datagram received on the group's black multicast group. The verdict's alarm_for() tells
    // the daemon which alarm to raise; the counters already hold it.
    MikeVerdict on_datagram(std::span<const std::uint8_t> datagram, TimePoint now, WallTime wall);
    // Datagrams to multicast now (new messages and due retransmissions). Call it after every
    // on_* call and at next_due().
    std::vector<std::vector<std::uint8_t>> poll(TimePoint now);
    // When poll() has work next; TimePoint::max() when nothing is scheduled.
    TimePoint next_due() const noexcept;
    // Each complete epoch's key, once, oldest first.
    std::optional<EpochKey> take_new_key();

    // Graceful shutdown: the datagrams to multicast before exiting (three identical copies of a
    // HANDOVER; a TM hands its role and state to its successor, a member asks to be removed).
    // The engine is silent afterwards.
    std::vector<std::vector<std::uint8_t>> shutdown(TimePoint now);
    // A rekey without a membership change (SA lifetime, SPI conflict): the TM refreshes its own
    // leaf. False on a member, which cannot start one.
    bool request_rekey(TimePoint now);

    bool is_tm() const noexcept { return !retired_self_ && tm_ == params_.self; }
    // The TM this node follows (itself included); empty only after shutdown().
    const NodeId& tm() const noexcept { return tm_; }
    // The newest epoch this node derived a key for (0: none yet) and that epoch's members.
    std::uint64_t epoch() const noexcept { return key_epoch_; }
    const std::vector<NodeId>& members() const noexcept { return key_members_; }
    const MikeCounters& counters() const noexcept { return counters_; }
    const NodeId& self() const noexcept { return params_.self; }
    // Where this node stands, as of the end of the last call (phase.hpp).
    MikePhase phase() const noexcept { return phase_; }

  private:
    // A datagram that is sent again, unchanged, every H until its purpose is met.
    struct Retransmission {
        std::vector<std::uint8_t> bytes;
        TimePoint next{};
    };
    // A tree with the sponsor an incomplete one waits for, and who sent it.
    struct HeldState {
        KeyTree tree;
        NodeId sponsor;
        NodeId from;
    };

    GroupKeying(Params params, const MessageAuthenticator& auth, TreeMember member, TimePoint now);

    static std::optional<X25519PublicKey> leaf_key_of(const KeyTree& tree, const NodeId& member);
    Duration interval() const noexcept { return params_.hello_interval; }
    // The phase the engine's state amounts to, and recording it at the end of every public
    // call (a change the transition table does not list is counted).
    MikePhase current_phase() const;
    void settle_phase();
    bool is_live(const NodeId& node) const;
    access::Role role_of(const NodeId& node) const;
    // The TM by election among the live senders; with `without_self`, as if this node were not
    // there (the TM it preempted when it came up).
    NodeId electable(bool without_self) const;
    // Whether every member of `tree` may be in the group: Accepted, OutsiderInTree or
    // MemberUnverified (counted as such by the caller).
    MikeVerdict check_tree_members(const KeyTree& tree) const;
    void elect(TimePoint now);
    void send(const MessageBody& body, std::uint64_t epoch);
    std::vector<std::uint8_t> sign(const MessageBody& body, std::uint64_t epoch);
    void note_epoch(std::uint64_t epoch) noexcept;

    // Receiving, after the common checks.
    MikeVerdict receive(std::span<const std::uint8_t> datagram, TimePoint now, WallTime wall);
    MikeVerdict on_tree_state(const MessageHeader& header, TreeStateBody& body,
                              std::span<const std::uint8_t> datagram, TimePoint now);
    MikeVerdict on_path_update(const MessageHeader& header, PathUpdateBody& body, TimePoint now);
    MikeVerdict on_join_request(const MessageHeader& header, const JoinRequestBody& body);
    MikeVerdict on_ack(const MessageHeader& header, const AckBody& body);
    MikeVerdict on_handover(const MessageHeader& header, HandoverBody& body, TimePoint now);

    // Member side: join, sponsor, derive the key, acknowledge.
    void evaluate_member(TimePoint now);
    void want_join(TimePoint now);
    bool derive_key(const KeyTree& tree);
    Duration ack_delay() const noexcept;

    // TM side: take the state over, run the membership operations, spread the tree.
    void step_tm(TimePoint now);
    bool adopt_state(TimePoint now);
    bool run_operations(TimePoint now);
    std::optional<Result<TreeChange>> next_operation(TimePoint now);
    void publish_state(TimePoint now);
    bool all_acked() const;

    Params params_;
    const MessageAuthenticator* auth_;
    TreeMember member_;
    TimePoint started_;
    MikeCounters counters_;
    MikePhase phase_ = MikePhase::Electing;

    std::map<NodeId, std::uint64_t> live_;  // peers discovery reports up -> startup timestamp
    std::set<NodeId> retired_;              // peers that announced their shutdown
    std::set<NodeId> heard_;                // peers discovery ever reported up
    // A TM that just started keeps tree members it never heard of until then (next_operation).
    std::optional<TimePoint> unheard_until_;
    bool retired_self_ = false;
    std::map<NodeId, ReplayWindow> windows_;
    std::uint64_t next_number_ = 1;
    std::uint64_t max_epoch_seen_ = 0;
    std::vector<std::vector<std::uint8_t>> outbox_;

    NodeId tm_;
    std::optional<HeldState> held_;  // the newest state from the TM (or this node's own as TM)
    std::vector<std::uint8_t> held_datagram_;  // the TREE_STATE datagram held_ came from
    bool held_evaluated_ = false;              // its key derived and ACKed already
    std::optional<HeldState> handover_;        // state handed to this node
    struct JoinRequest {
        X25519PublicKey leaf_key{};
        std::uint64_t epoch = 0;  // the requester's newest epoch (the message's header)
    };
    std::map<NodeId, JoinRequest> join_requests_;
    std::map<NodeId, PathUpdate> path_updates_;  // heard while not the TM

    // Member side.
    std::optional<Retransmission> join_retx_;
    X25519PublicKey join_key_{};
    std::uint64_t join_seen_epoch_ = 0;  // the TM state's epoch when the request was made
    NodeId join_tm_;                     // the TM followed when the request was made
    std::optional<Retransmission> path_retx_;
    std::uint64_t path_epoch_ = 0;
    std::uint64_t sponsored_epoch_ = 0;
    NodeId sponsored_for_;
    std::vector<std::uint8_t> ack_bytes_;
    NodeId ack_tm_;
    TimePoint ack_sent_{};
    std::optional<TimePoint> ack_due_;  // ack_bytes_ not sent yet: when to
    std::uint64_t key_epoch_ = 0;
    TreeHash key_hash_{};
    std::vector<NodeId> key_members_;
    std::deque<EpochKey> new_keys_;

    // TM side.
    bool tm_ready_ = false;
    TimePoint tm_since_{};
    TimePoint pending_since_{};
    bool rekey_wanted_ = false;
    std::set<NodeId> acked_;
    TreeHash state_hash_{};
    std::optional<Retransmission> state_retx_;
    std::set<NodeId> resent_for_;  // requesters the current state was re-sent to early
    bool reannounce_ = false;      // poll() sends the current state once more, at once
    std::optional<Retransmission> handover_retx_;
    NodeId handover_to_;
};

}  // namespace mcsec::control::mike
