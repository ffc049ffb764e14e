// The MIKE engine's member role: taking the TM's state, joining, sponsoring, deriving each
// epoch's key and acknowledging it (docs/protocol/mike.md, "State machines", Member). Phases
// Joining, Sponsoring, AwaitingKey and Keyed.
#include "mcsec/control/mike/protocol/group_keying.hpp"

#include <algorithm>
#include <utility>

namespace mcsec::control::mike {

namespace {

// Members spread their ACKs over the first 1/kAckSpreadIntervals of an interval (ack_delay()).
constexpr int kAckSpreadIntervals = 4;

}  // namespace

MikeVerdict GroupKeying::on_tree_state(const MessageHeader& header, TreeStateBody& body,
                                       std::span<const std::uint8_t> datagram, TimePoint now) {
    if (header.sender != tm_ || is_tm()) return MikeVerdict::NotFromTm;
    // A compromised or misconfigured TM must not quietly add outsiders: every member checks
    // the tree against its own copy of the access list before it derives a key from it.
    if (const MikeVerdict members = check_tree_members(body.tree);
        members != MikeVerdict::Accepted) {
        return members;
    }
    if (handover_retx_ && handover_to_ == header.sender) handover_retx_.reset();
    if (held_ && held_->from == header.sender) {
        const std::uint64_t held_epoch = held_->tree.epoch();
        if (header.epoch < held_epoch) return MikeVerdict::StaleEpoch;
        // The same epoch counts only as its completion; a TM never sends two states of one
        // epoch otherwise.
        if (header.epoch == held_epoch && (held_->tree.complete() || !body.tree.complete())) {
            return MikeVerdict::Ignored;
        }
    }
    // The first state from a newly elected TM is taken whatever its epoch: the TM numbers its
    // next operation above every epoch it has seen, and ACKs tell it about newer ones.
    held_ = HeldState{std::move(body.tree), std::move(body.sponsor), header.sender};
    held_datagram_.assign(datagram.begin(), datagram.end());
    held_evaluated_ = false;
    // Requests from nodes now in the tree have been served; a later TM must not replay them.
    for (const NodeId& member : held_->tree.members()) join_requests_.erase(member);
    evaluate_member(now);
    return MikeVerdict::Accepted;
}

void GroupKeying::evaluate_member(TimePoint now) {
    if (is_tm() || tm_.empty() || retired_self_) return;
    const bool from_tm = held_ && held_->from == tm_;
    if (!from_tm) {
        want_join(now);  // a new TM whose state we have not heard yet, or none at all
        return;
    }
    const KeyTree& tree = held_->tree;
    const std::uint64_t epoch = tree.epoch();
    if (path_retx_ && (epoch > path_epoch_ || (epoch == path_epoch_ && tree.complete()))) {
        path_retx_.reset();
    }
    const auto leaf_key = leaf_key_of(tree, params_.self);
    const bool sponsor_duty = !tree.complete() && held_->sponsor == params_.self;
    if (!leaf_key || (*leaf_key != member_.leaf_public_key() && !sponsor_duty &&
                      !(sponsored_epoch_ == epoch && sponsored_for_ == tm_))) {
        // Not in the TM's tree, or with a leaf that is not ours (an earlier run, an abandoned
        // sponsorship): (re)join.
        want_join(now);
        return;
    }
    join_retx_.reset();
    if (!tree.complete()) {
        if (sponsor_duty && !(sponsored_epoch_ == epoch && sponsored_for_ == tm_)) {
            KeyTree copy = tree;
            Result<PathUpdate> update = member_.sponsor(copy);
            sponsored_epoch_ = epoch;
            sponsored_for_ = tm_;
            if (update) {
                path_retx_ =
                    Retransmission{sign(PathUpdateBody{update.value().path_keys}, epoch), now};
                path_epoch_ = epoch;
            }
        }
        return;
    }
    if (held_evaluated_) return;
    held_evaluated_ = true;
    if (!derive_key(tree)) {
        // Our leaf is in the tree but the keys above it do not match: start over with a fresh
        // leaf secret, which the TM sees as a rejoin.
        ++counters_.key_failures;
        if (Result<TreeMember> fresh = TreeMember::create(params_.self); fresh) {
            member_ = std::move(fresh).value();
        }
        want_join(now);
        return;
    }
    // Acknowledge what we hold: this epoch, or a newer one we got from an earlier TM, which
    // makes the TM rekey above it.
    ack_bytes_ = sign(AckBody{key_hash_}, key_epoch_);
    ack_tm_ = tm_;
    ack_due_ = now + ack_delay();
}

// ACKs only stop the TM's retransmission, due an interval after it published; but on the
// shared multicast channel every member receives every member's ACK, N^2 datagrams that all
// arrive just as the members derive the key (at 50 members on two cores they delayed the last
// members' keys by tens of milliseconds). Each member sends its ACK at its own fixed offset
// within the first quarter interval, so the burst is spread and comes after the keys.
Duration GroupKeying::ack_delay() const noexcept {
    std::uint32_t hash = 2166136261u;  // FNV-1a of the node id: fixed per node, spread over ids
    for (const char c : params_.self) hash = (hash ^ static_cast<std::uint8_t>(c)) * 16777619u;
    constexpr std::uint32_t kSlots = 1024;
    return interval() / kAckSpreadIntervals * static_cast<int>(hash % kSlots) / kSlots;
}

void GroupKeying::want_join(TimePoint now) {
    // A request is retransmitted as an identical copy, which the TM takes only once. A TM state
    // newer than the request that still lacks us means the TM served it and then dropped us (a
    // sponsor timeout) or never got it before a new TM took over: ask again under a new number.
    // So does a change of TM: a joiner's discovery learns the peers one hello at a time, so it
    // often asks while it follows a node that is not the TM, and the TM's answer to that
    // request arrives before the TM's hello and is refused (unknown sender). The new request
    // makes the TM re-send its state at once (on_join_request) instead of an interval later.
    const std::uint64_t seen = held_ && held_->from == tm_ ? held_->tree.epoch() : 0;
    if (join_retx_ && join_key_ == member_.leaf_public_key() && seen <= join_seen_epoch_ &&
        join_tm_ == tm_) {
        return;
    }
    join_seen_epoch_ = seen;
    join_tm_ = tm_;
    join_key_ = member_.leaf_public_key();
    join_retx_ = Retransmission{sign(JoinRequestBody{join_key_}, max_epoch_seen_), now};
}

// Derives the key of a complete tree this node is in. A new (epoch, tree) at or above the last
// one becomes an EpochKey; an older one is only checked (the ACK then names the newer epoch).
bool GroupKeying::derive_key(const KeyTree& tree) {
    Result<GroupKey> key = member_.group_key(tree, params_.group_id, params_.transform);
    if (!key) return false;
    Result<TreeHash> hash = mike::tree_hash(tree);
    if (!hash) return false;
    const std::uint64_t epoch = tree.epoch();
    if (epoch < key_epoch_ || (epoch == key_epoch_ && hash.value() == key_hash_)) return true;
    Result<std::uint32_t> spi = derive_spi(params_.group_id, epoch, hash.value());
    if (!spi) return false;
    EpochKey out;
    out.group_id = params_.group_id;
    out.epoch = epoch;
    out.transform = params_.transform;
    out.key_and_salt = std::move(key.value().key_and_salt);
    out.spi = spi.value();
    out.members = tree.members();
    out.tree_hash = hash.value();
    key_epoch_ = epoch;
    key_hash_ = hash.value();
    key_members_ = out.members;
    new_keys_.push_back(std::move(out));
    ++counters_.epochs_completed;
    return true;
}

std::optional<EpochKey> GroupKeying::take_new_key() {
    if (new_keys_.empty()) return std::nullopt;
    EpochKey key = std::move(new_keys_.front());
    new_keys_.pop_front();
    return key;
}
}  // namespace mcsec::control::mike
