// The MIKE engine's common part: election, the checks every received datagram passes before a
// role sees it, HANDOVER, retransmission timers, shutdown and the phase (docs/protocol/mike.md).
// The roles' duties are in member_role.cpp and tm_role.cpp.
#include "mcsec/control/mike/protocol/group_keying.hpp"

#include <algorithm>
#include <utility>

namespace mcsec::control::mike {

namespace {

// Keeps a TREE_STATE's idle re-announcement to nodes outside the tree sparse: they are usually
// joining (and then ask for it, JOIN_REQUEST) or not in this group.
constexpr int kOutsiderAnnounceIntervals = 4;
MikeVerdict verdict_for(AuthResult result) {
    return auth_verdict<MikeVerdict>(result);
}

}  // namespace

std::optional<X25519PublicKey> GroupKeying::leaf_key_of(const KeyTree& tree, const NodeId& member) {
    const auto leaf = tree.find_leaf(member);
    if (!leaf) return std::nullopt;
    return tree.nodes()[*leaf].blinded_key;
}

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
    engine.settle_phase();
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
    settle_phase();  // a new TM is a phase change of its own (Founding, Joining, Electing)
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
    settle_phase();
}

MikePhase GroupKeying::current_phase() const {
    if (retired_self_) return MikePhase::Retired;
    if (tm_.empty()) return MikePhase::Electing;
    if (tm_ == params_.self) {
        if (!tm_ready_ || !held_) return MikePhase::Founding;
        const KeyTree& tree = held_->tree;
        if (!tree.empty() && !tree.complete()) return MikePhase::TmAwaitingSponsor;
        return all_acked() ? MikePhase::TmStable : MikePhase::TmAwaitingAcks;
    }
    if (join_retx_ || !held_ || held_->from != tm_) return MikePhase::Joining;
    if (held_->tree.complete()) return MikePhase::Keyed;
    return held_->sponsor == params_.self ? MikePhase::Sponsoring : MikePhase::AwaitingKey;
}

void GroupKeying::settle_phase() {
    const MikePhase next = current_phase();
    if (next == phase_) return;
    if (find_transition(phase_, next) == nullptr) ++counters_.unlisted_transitions;
    ++counters_.phase_changes;
    phase_ = next;
}

MikeVerdict GroupKeying::on_datagram(std::span<const std::uint8_t> datagram, TimePoint now,
                                     WallTime wall) {
    const MikeVerdict verdict = receive(datagram, now, wall);
    settle_phase();
    return verdict;
}

MikeVerdict GroupKeying::receive(std::span<const std::uint8_t> datagram, TimePoint now,
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
    settle_phase();
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
    settle_phase();
    return out;
}

}  // namespace mcsec::control::mike
