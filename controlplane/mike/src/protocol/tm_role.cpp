// The MIKE engine's TM role: adopting the group's state, running the membership operations one
// at a time, serving join requests, collecting sponsors' PATH_UPDATEs and members' ACKs
// (docs/protocol/mike.md, "State machines", TM). Phases Founding, TmAwaitingSponsor,
// TmAwaitingAcks and TmStable.
#include "mcsec/control/mike/protocol/group_keying.hpp"

#include <utility>

namespace mcsec::control::mike {

MikeVerdict GroupKeying::on_path_update(const MessageHeader& header, PathUpdateBody& body,
                                        TimePoint now) {
    if (!is_tm() || !tm_ready_ || !held_) {
        // Kept, like join requests, for a TM elected before the sponsor's next copy; the copies
        // are identical, so that TM would refuse them as replays.
        path_updates_[header.sender] = PathUpdate{header.sender, header.epoch, body.path_keys};
        return MikeVerdict::Ignored;
    }
    KeyTree& tree = held_->tree;
    if (header.epoch < tree.epoch()) return MikeVerdict::StaleEpoch;
    if (tree.complete() || header.sender != held_->sponsor || header.epoch != tree.epoch()) {
        return MikeVerdict::Ignored;
    }
    KeyTree updated = tree;
    const PathUpdate update{header.sender, header.epoch, std::move(body.path_keys)};
    if (updated.apply_path_update(update) != MikeError::Ok || !updated.complete()) {
        return MikeVerdict::Ignored;
    }
    tree = std::move(updated);
    held_->sponsor.clear();
    // Spread the completed epoch before starting the next operation, so members get its key
    // even while further changes queue up.
    publish_state(now);
    if (run_operations(now)) publish_state(now);
    return MikeVerdict::Accepted;
}

MikeVerdict GroupKeying::on_join_request(const MessageHeader& header, const JoinRequestBody& body) {
    if (held_) {
        const auto leaf_key = leaf_key_of(held_->tree, header.sender);
        if (leaf_key && *leaf_key == body.leaf_key) {
            // Served already, yet it asks again: it has not got the state that serves it. A
            // joiner refuses our messages until its discovery has heard our hello, which may
            // come after them; it asks again when it learns who the TM is. Re-send now rather
            // than at the next retransmission, an interval later, but only once per requester
            // and published state, so requests cannot make us multicast more than that.
            if (is_tm() && resent_for_.insert(header.sender).second) reannounce_ = true;
            return MikeVerdict::Ignored;
        }
    }
    // Every node records requests, so a TM elected later serves those already made.
    join_requests_[header.sender] = JoinRequest{body.leaf_key, header.epoch};
    return MikeVerdict::Accepted;
}

MikeVerdict GroupKeying::on_ack(const MessageHeader& header, const AckBody& body) {
    if (!is_tm() || !tm_ready_ || !held_) return MikeVerdict::Ignored;
    const KeyTree& tree = held_->tree;
    if (!tree.find_leaf(header.sender)) return MikeVerdict::Ignored;
    if (header.epoch < tree.epoch()) return MikeVerdict::StaleEpoch;
    if (header.epoch == tree.epoch() && tree.complete() && body.tree_hash == state_hash_) {
        acked_.insert(header.sender);
        return MikeVerdict::Accepted;
    }
    if (header.epoch > tree.epoch() || tree.complete()) {
        // The member holds a newer or different epoch (state of an earlier TM this one never
        // saw): rekey above it so everyone converges on one key.
        rekey_wanted_ = true;
        return MikeVerdict::Accepted;
    }
    return MikeVerdict::Ignored;
}

void GroupKeying::step_tm(TimePoint now) {
    if (!is_tm()) return;
    bool adopted = false;
    if (!tm_ready_) {
        if (!adopt_state(now)) return;
        adopted = true;
    }
    if (run_operations(now) || adopted) publish_state(now);
}

// A new TM continues from the state handed to it, else from the newest state it holds from the
// previous TM; a node with neither waits found_delay for a HANDOVER before founding the group.
bool GroupKeying::adopt_state(TimePoint now) {
    if (handover_) {
        held_ = std::move(*handover_);
        handover_.reset();
    } else if (!held_) {
        if (now < tm_since_ + params_.found_delay) return false;
        held_ = HeldState{};
    }
    held_->from = params_.self;
    held_datagram_.clear();
    tm_ready_ = true;
    acked_.clear();
    pending_since_ = now;  // an adopted incomplete tree gives its sponsor a full timeout
    return true;
}

// Runs membership operations until one waits for another member's PATH_UPDATE or nothing is
// left; operations this node sponsors itself complete at once. True if the tree changed.
bool GroupKeying::run_operations(TimePoint now) {
    bool changed = false;
    for (std::size_t guard = 0; guard < 4 * kMaxGroupMembers; ++guard) {
        KeyTree& tree = held_->tree;
        std::optional<Result<TreeChange>> change;
        if (!tree.empty() && !tree.complete()) {
            const NodeId sponsor = held_->sponsor;
            if (sponsor == params_.self) {
                if (!member_.sponsor(tree)) break;
                held_->sponsor.clear();
                continue;
            }
            if (const auto kept = path_updates_.find(sponsor); kept != path_updates_.end()) {
                KeyTree updated = tree;
                const bool fits =
                    updated.apply_path_update(kept->second) == MikeError::Ok && updated.complete();
                path_updates_.erase(kept);
                if (fits) {
                    tree = std::move(updated);
                    held_->sponsor.clear();
                    changed = true;
                    continue;
                }
            }
            const bool usable = is_live(sponsor);
            if (usable && now < pending_since_ + params_.sponsor_timeout) break;  // wait
            if (usable) ++counters_.sponsor_timeouts;
            // A dead or silent sponsor is removed; it rejoins if it is alive. Every key still
            // missing lies on the new sponsor's path, so the tree stays consistent.
            if (max_epoch_seen_ > tree.epoch()) {
                std::vector<TreeNode> nodes(tree.nodes().begin(), tree.nodes().end());
                if (auto floored = KeyTree::from_nodes(max_epoch_seen_, std::move(nodes))) {
                    tree = std::move(*floored);
                }
            }
            change = tree.leave(sponsor);
        } else {
            change = next_operation(now);
            if (!change) break;
        }
        if (!change->ok()) break;
        changed = true;
        ++counters_.rekeys_started;
        note_epoch(tree.epoch());
        const NodeId sponsor = change->value().sponsor;
        held_->sponsor.clear();
        if (sponsor.empty()) continue;
        if (sponsor == params_.self) {
            if (!member_.sponsor(tree)) {
                held_->sponsor = sponsor;
                break;
            }
            continue;
        }
        held_->sponsor = sponsor;
        pending_since_ = now;
        if (is_live(sponsor)) break;  // a dead sponsor is removed in the next round
    }
    return changed;
}

// The next membership operation, in this order: remove a member that is down or retired;
// remove a member that asks to rejoin with a new leaf (it is joined next); put this node in the
// tree or refresh its leaf; join a requester. Each is numbered above every epoch seen.
std::optional<Result<TreeChange>> GroupKeying::next_operation(TimePoint now) {
    KeyTree& tree = held_->tree;
    const auto floor_epoch = [this, &tree] {
        if (max_epoch_seen_ <= tree.epoch()) return;
        std::vector<TreeNode> nodes(tree.nodes().begin(), tree.nodes().end());
        if (auto floored = KeyTree::from_nodes(max_epoch_seen_, std::move(nodes))) {
            tree = std::move(*floored);
        }
    };
    // A node that just started (a newcomer that took over as TM) has not heard every live
    // peer's hello yet: discovery answers a join with the TM's hello at once, the others' come
    // on their grid, up to an interval later. Removing the members it has not heard of would
    // make them all rejoin; it waits found_delay after its start first. A member discovery
    // reported and then lost, or that announced its shutdown, goes at once.
    const bool settled = now >= started_ + params_.found_delay;
    for (const NodeId& member : tree.members()) {
        if (member == params_.self || (is_live(member) && access::is_member(role_of(member)))) {
            continue;
        }
        if (!settled && !heard_.contains(member) && !retired_.contains(member)) {
            unheard_until_ = started_ + params_.found_delay;
            continue;
        }
        floor_epoch();
        return tree.leave(member);
    }
    for (auto it = join_requests_.begin(); it != join_requests_.end();) {
        const auto leaf_key = leaf_key_of(tree, it->first);
        if (leaf_key && *leaf_key == it->second.leaf_key) {
            it = join_requests_.erase(it);
            continue;
        }
        if (leaf_key && is_live(it->first)) {
            floor_epoch();
            return tree.leave(it->first);
        }
        ++it;
    }
    const auto own_key = leaf_key_of(tree, params_.self);
    if (!own_key) {
        floor_epoch();
        return tree.join(params_.self, member_.leaf_public_key());
    }
    if (*own_key != member_.leaf_public_key() || rekey_wanted_) {
        rekey_wanted_ = false;
        floor_epoch();
        return tree.refresh(params_.self);
    }
    for (auto it = join_requests_.begin(); it != join_requests_.end();) {
        if (!is_live(it->first)) {
            ++it;
            continue;
        }
        if (!access::is_member(role_of(it->first))) {
            // Discovery hands keying only members; this catches a request kept from before.
            ++counters_.joins_denied;
            it = join_requests_.erase(it);
            continue;
        }
        if (tree.member_count() >= kMaxGroupMembers) {
            ++counters_.joins_refused;
            it = join_requests_.erase(it);
            continue;
        }
        const NodeId joiner = it->first;
        const JoinRequest request = it->second;
        join_requests_.erase(it);
        // The joiner may hold a newer epoch from an earlier TM: it becomes a tree member now,
        // and the new tree is numbered above its epoch (within the bound on_datagram checked).
        note_epoch(request.epoch);
        floor_epoch();
        return tree.join(joiner, request.leaf_key);
    }
    return std::nullopt;
}

void GroupKeying::publish_state(TimePoint now) {
    const KeyTree& tree = held_->tree;
    note_epoch(tree.epoch());
    TreeStateBody body;
    body.sponsor = tree.complete() ? NodeId{} : held_->sponsor;
    body.tree = tree;
    std::vector<std::uint8_t> bytes = sign(body, tree.epoch());
    outbox_.push_back(bytes);
    state_retx_ = Retransmission{std::move(bytes), now + interval()};
    acked_.clear();
    resent_for_.clear();
    reannounce_ = false;  // everyone gets this one
    if (tree.complete() && !tree.empty()) {
        if (Result<TreeHash> hash = mike::tree_hash(tree); hash) state_hash_ = hash.value();
        if (!derive_key(tree)) ++counters_.key_failures;
    }
}

bool GroupKeying::all_acked() const {
    for (const NodeId& member : held_->tree.members()) {
        if (member != params_.self && !acked_.contains(member)) return false;
    }
    return true;
}

bool GroupKeying::request_rekey(TimePoint now) {
    if (!is_tm() || !tm_ready_) return false;
    rekey_wanted_ = true;
    step_tm(now);
    settle_phase();
    return true;
}
}  // namespace mcsec::control::mike
