// The MIKE protocol engine: election, the TM's transaction loop, the member's join, sponsor and
// acknowledgement duties, and retransmission (docs/protocol/mike.md, "State machines").
#include "mcsec/control/mike/protocol/group_keying.hpp"

#include <algorithm>
#include <utility>

namespace mcsec::control::mike {

namespace {

// Keeps a TREE_STATE's idle re-announcement to nodes outside the tree sparse: they are usually
// joining (and then ask for it, JOIN_REQUEST) or not in this group.
constexpr int kOutsiderAnnounceIntervals = 4;
// Members spread their ACKs over the first 1/kAckSpreadIntervals of an interval (ack_delay()).
constexpr int kAckSpreadIntervals = 4;

MikeVerdict verdict_for(AuthResult result) {
    return auth_verdict<MikeVerdict>(result);
}

std::optional<X25519PublicKey> leaf_key_of(const KeyTree& tree, const NodeId& member) {
    const auto leaf = tree.find_leaf(member);
    if (!leaf) return std::nullopt;
    return tree.nodes()[*leaf].blinded_key;
}

}  // namespace

Result<GroupKeying> GroupKeying::create(Params params, const MessageAuthenticator& auth,
                                        TimePoint now) {
    if (!is_valid_member_id(params.self) || params.self != auth.node_id()) {
        return MikeError::InvalidMemberId;
    }
    if (params.group_id.empty() || params.group_id.size() > kMaxGroupIdBytes) {
        return MikeError::BadGroupId;
    }
    if (params.hello_interval <= Duration::zero()) params.hello_interval = Duration{1000};
    if (params.found_delay <= Duration::zero()) params.found_delay = params.hello_interval * 2;
    if (params.sponsor_timeout <= Duration::zero()) {
        params.sponsor_timeout = idp::dead_interval(params.hello_interval);
    }
    Result<TreeMember> member = TreeMember::create(params.self);
    if (!member) return member.error();
    GroupKeying engine(std::move(params), auth, std::move(member).value(), now);
    engine.elect(now);
    return engine;
}

GroupKeying::GroupKeying(Params params, const MessageAuthenticator& auth, TreeMember member,
                         TimePoint now)
    : params_(std::move(params)), auth_(&auth), member_(std::move(member)), started_(now) {
    tm_since_ = now;
}

bool GroupKeying::is_live(const NodeId& node) const {
    if (node == params_.self) return !retired_self_;
    return live_.contains(node) && !retired_.contains(node);
}

access::Role GroupKeying::role_of(const NodeId& node) const {
    return params_.role_of ? params_.role_of(node) : access::Role::Sender;
}

// The TM is the smallest live node id among the group's senders that has not announced its
// shutdown: every node with the same discovery view and the same access list elects the same
// one, without exchanging a message. A receive-only member never is: it must not send.
NodeId GroupKeying::electable(bool without_self) const {
    NodeId best;
    if (!without_self && !retired_self_ && role_of(params_.self) == access::Role::Sender) {
        best = params_.self;
    }
    for (const auto& [id, session] : live_) {
        if (retired_.contains(id) || (!best.empty() && id >= best)) continue;
        if (role_of(id) == access::Role::Sender) best = id;
    }
    return best;
}

MikeVerdict GroupKeying::check_tree_members(const KeyTree& tree) const {
    MikeVerdict verdict = MikeVerdict::Accepted;
    for (const NodeId& member : tree.members()) {
        const access::Role role = role_of(member);
        if (role == access::Role::Denied) return MikeVerdict::OutsiderInTree;
        if (role == access::Role::Unverified) verdict = MikeVerdict::MemberUnverified;
    }
    return verdict;
}

void GroupKeying::elect(TimePoint now) {
    NodeId best = electable(false);
    if (best == tm_) return;
    const bool was_ready_tm = tm_ == params_.self && tm_ready_ && !retired_self_;
    tm_ = std::move(best);
    if (was_ready_tm && held_ && !tm_.empty()) {
        // Preempted by a smaller id (a node that came up): hand it our state so the group keeps
        // its epoch instead of being founded afresh.
        HandoverBody body;
        body.successor = tm_;
        body.has_tree = true;
        body.sponsor = held_->sponsor;
        body.tree = held_->tree;
        handover_retx_ = Retransmission{sign(body, held_->tree.epoch()), now};
        handover_to_ = tm_;
    } else if (handover_retx_ && handover_to_ != tm_) {
        handover_retx_.reset();
    }
    tm_ready_ = false;
    state_retx_.reset();
    acked_.clear();
    if (tm_ == params_.self) tm_since_ = now;
}

std::vector<std::uint8_t> GroupKeying::sign(const MessageBody& body, std::uint64_t epoch) {
    Message message;
    message.header.group_id = params_.group_id;
    message.header.sender = params_.self;
    message.header.session = params_.startup_timestamp;
    message.header.number = next_number_++;
    message.header.epoch = epoch;
    message.body = body;
    const auto credential = auth_->credential();
    message.credential.assign(credential.begin(), credential.end());
    return encode_message(message, *auth_);
}

void GroupKeying::send(const MessageBody& body, std::uint64_t epoch) {
    outbox_.push_back(sign(body, epoch));
}

void GroupKeying::note_epoch(std::uint64_t epoch) noexcept {
    max_epoch_seen_ = std::max(max_epoch_seen_, epoch);
}

void GroupKeying::on_membership(const idp::IdpEvent& event, TimePoint now) {
    if (event.node_id == params_.self || retired_self_) return;
    switch (event.kind) {
        case idp::IdpEventKind::Join:
            // A new run: whatever it asked before is void, and its old shutdown too.
            join_requests_.erase(event.node_id);
            path_updates_.erase(event.node_id);
            [[fallthrough]];
        case idp::IdpEventKind::Restore:
            live_[event.node_id] = event.startup_timestamp;
            heard_.insert(event.node_id);
            retired_.erase(event.node_id);
            break;
        case idp::IdpEventKind::Leave:
            live_.erase(event.node_id);
            join_requests_.erase(event.node_id);
            path_updates_.erase(event.node_id);
            break;
    }
    // No state is sent to a node that (re)appears: it asks (JOIN_REQUEST) as soon as it follows
    // the TM, and a request from a node already in the tree makes the TM re-send its state at
    // once (on_join_request). Sending it on discovery's event as well only made every member
    // receive it once more, and made the newcomer ask twice (a state lacking it).
    elect(now);
    evaluate_member(now);
    step_tm(now);
}

MikeVerdict GroupKeying::on_datagram(std::span<const std::uint8_t> datagram, TimePoint now,
                                     WallTime wall) {
    const auto count = [this](MikeVerdict verdict) {
        ++counters_.received[static_cast<std::size_t>(verdict)];
        return verdict;
    };
    ParsedMessage parsed;
    if (const MessageParseError error = parse_message(datagram, parsed);
        error != MessageParseError::Ok) {
        ++counters_.parse_errors[static_cast<std::size_t>(error)];
        return count(MikeVerdict::Malformed);
    }
    const MessageHeader& header = parsed.message.header;
    if (header.group_id != params_.group_id) return count(MikeVerdict::OtherGroup);
    if (header.sender == params_.self) return count(MikeVerdict::OwnMessage);
    if (retired_self_) return count(MikeVerdict::Ignored);
    // Only a peer discovery reports up, in the run discovery reports: messages of an earlier
    // run of the sender are replays whatever their number.
    const auto live = live_.find(header.sender);
    if (live == live_.end() || live->second != header.session) {
        return count(MikeVerdict::UnknownSender);
    }
    ReplayWindow& window = windows_[header.sender];
    if (!window.check(header.session, header.number)) {
        // An identical copy of the TREE_STATE we hold is the TM retransmitting because it has
        // not seen our ACK: send the ACK again (identical too), at most twice per interval.
        if (header.type == MessageType::TreeState && header.sender == tm_ && held_ &&
            held_evaluated_ && std::ranges::equal(datagram, held_datagram_) &&
            !ack_bytes_.empty() && ack_tm_ == tm_ && !ack_due_ &&
            now >= ack_sent_ + interval() / 2) {
            outbox_.push_back(ack_bytes_);
            ack_sent_ = now;
        }
        return count(MikeVerdict::Replay);
    }
    const AuthResult auth = auth_->verify(header.sender, parsed.message.credential,
                                          parsed.signed_bytes, parsed.signature, wall);
    if (auth != AuthResult::Ok) return count(verdict_for(auth));
    // Acceptance rules (docs/protocol/mike.md, "Acceptance rules"): an epoch only within a
    // bounded jump, and it moves this node's epoch floor only when it comes from the TM or a
    // tree member; a joiner's epoch counts once the TM admits it (next_operation).
    if (header.epoch > max_epoch_seen_ && header.epoch - max_epoch_seen_ > kMaxEpochJump) {
        window.accept(header.session, header.number);
        return count(MikeVerdict::EpochJump);
    }
    if (header.sender == tm_ || (held_ && held_->tree.find_leaf(header.sender))) {
        note_epoch(header.epoch);
    }

    MikeVerdict verdict = MikeVerdict::Ignored;
    std::visit(
        [&](auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, TreeStateBody>) {
                verdict = on_tree_state(header, body, datagram, now);
            } else if constexpr (std::is_same_v<T, PathUpdateBody>) {
                verdict = on_path_update(header, body, now);
            } else if constexpr (std::is_same_v<T, JoinRequestBody>) {
                verdict = on_join_request(header, body);
            } else if constexpr (std::is_same_v<T, AckBody>) {
                verdict = on_ack(header, body);
            } else {
                verdict = on_handover(header, body, now);
            }
        },
        parsed.message.body);
    // A tree naming a node whose certificate we have not seen yet is left unconsumed: the TM's
    // identical retransmission is taken once discovery has heard that node.
    if (verdict != MikeVerdict::MemberUnverified) window.accept(header.session, header.number);
    step_tm(now);
    return count(verdict);
}

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

MikeVerdict GroupKeying::on_handover(const MessageHeader& header, HandoverBody& body,
                                     TimePoint now) {
    // A HANDOVER that carries the group's state passes the TM role: only the TM may (the one
    // we follow, or, if we just became the TM by coming up, the one we preempted). A member's
    // own leave carries no state and is about itself only.
    if (body.has_tree) {
        if (header.sender != tm_ && header.sender != electable(true)) {
            return MikeVerdict::HandoverNotFromTm;
        }
        if (const MikeVerdict members = check_tree_members(body.tree);
            members != MikeVerdict::Accepted) {
            return members;
        }
    }
    if (body.sender_leaves) {
        retired_.insert(header.sender);
        join_requests_.erase(header.sender);
    }
    if (body.successor == params_.self && body.has_tree && !(is_tm() && tm_ready_)) {
        handover_ = HeldState{std::move(body.tree), std::move(body.sponsor), header.sender};
    }
    elect(now);
    evaluate_member(now);
    return MikeVerdict::Accepted;
}

// ---- member side ----

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

// ---- TM side ----

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

// ---- timers and output ----

std::vector<std::vector<std::uint8_t>> GroupKeying::poll(TimePoint now) {
    if (retired_self_) return {};
    step_tm(now);
    if (unheard_until_ && now >= *unheard_until_) unheard_until_.reset();  // step_tm removed them
    const auto due = [this, now](std::optional<Retransmission>& retx) {
        if (retx && retx->next <= now) {
            outbox_.push_back(retx->bytes);
            retx->next = now + interval();
        }
    };
    due(join_retx_);
    due(path_retx_);
    due(handover_retx_);
    if (ack_due_ && *ack_due_ <= now) {
        outbox_.push_back(ack_bytes_);
        ack_sent_ = now;
        ack_due_.reset();
    }
    if (reannounce_ && is_tm() && tm_ready_ && state_retx_) {
        // For a node that asks again: a copy under a new number, which the members holding
        // the state ignore. The identical copies of the retransmission mean "I
        // miss your ACK" and each would make every member ACK again, N^2 datagrams.
        outbox_.push_back(
            sign(TreeStateBody{held_->tree.complete() ? NodeId{} : held_->sponsor, held_->tree},
                 held_->tree.epoch()));
    }
    reannounce_ = false;
    if (is_tm() && tm_ready_ && state_retx_ && state_retx_->next <= now) {
        const KeyTree& tree = held_->tree;
        const bool unacked = !tree.complete() || !all_acked();
        bool outsider = false;
        for (const auto& [id, session] : live_) {
            if (!retired_.contains(id) && !tree.find_leaf(id)) outsider = true;
        }
        if (unacked || outsider) outbox_.push_back(state_retx_->bytes);
        state_retx_->next =
            now + (unacked || !outsider ? interval() : interval() * kOutsiderAnnounceIntervals);
    }
    counters_.sent += outbox_.size();
    return std::exchange(outbox_, {});
}

TimePoint GroupKeying::next_due() const noexcept {
    if (retired_self_) return TimePoint::max();
    if (!outbox_.empty() || (reannounce_ && is_tm() && tm_ready_ && state_retx_)) {
        return TimePoint::min();
    }
    TimePoint due = TimePoint::max();
    for (const auto* retx : {&join_retx_, &path_retx_, &handover_retx_, &state_retx_}) {
        if (*retx) due = std::min(due, (*retx)->next);
    }
    if (ack_due_) due = std::min(due, *ack_due_);
    if (unheard_until_) due = std::min(due, *unheard_until_);
    if (is_tm() && !tm_ready_) due = std::min(due, tm_since_ + params_.found_delay);
    if (is_tm() && tm_ready_ && held_ && !held_->tree.complete() && !held_->tree.empty()) {
        due = std::min(due, pending_since_ + params_.sponsor_timeout);
    }
    return due;
}

std::vector<std::vector<std::uint8_t>> GroupKeying::shutdown(TimePoint now) {
    (void)now;
    if (retired_self_) return {};
    HandoverBody body;
    body.sender_leaves = true;
    std::uint64_t epoch = max_epoch_seen_;
    if (is_tm() && tm_ready_ && held_) {
        body.successor = electable(true);  // the TM the others elect once we are gone
        if (!body.successor.empty()) {
            body.has_tree = true;
            body.sponsor = held_->tree.complete() ? NodeId{} : held_->sponsor;
            body.tree = held_->tree;
            epoch = held_->tree.epoch();
        }
    }
    std::vector<std::uint8_t> bytes = sign(body, epoch);
    retired_self_ = true;
    tm_.clear();
    tm_ready_ = false;
    join_retx_.reset();
    path_retx_.reset();
    handover_retx_.reset();
    state_retx_.reset();
    ack_due_.reset();
    outbox_.clear();
    // Three identical copies: nothing retransmits after this, and receivers drop the extras as
    // replays. If all are lost, discovery's LEAVE after 4H has the same effect, only later.
    std::vector<std::vector<std::uint8_t>> out(3, bytes);
    counters_.sent += out.size();
    return out;
}

bool GroupKeying::request_rekey(TimePoint now) {
    if (!is_tm() || !tm_ready_) return false;
    rekey_wanted_ = true;
    step_tm(now);
    return true;
}

}  // namespace mcsec::control::mike
