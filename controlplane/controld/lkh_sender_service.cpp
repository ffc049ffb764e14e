#include "lkh_sender_service.hpp"

#include <algorithm>
#include <stdexcept>

namespace mcsec::control {

namespace {

std::string text_of(const std::vector<std::uint8_t>& id) {
    return {id.begin(), id.end()};
}

std::uint64_t wall_microseconds() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

// What changes whenever the tree does (every flush and State takes a message id; admissions and
// revocations are counted): a replica is due when this differs from the last replicated one.
TreeVersion version_of(const lkh::KeyDistribution& d) {
    const auto& c = d.counters();
    return {d.last_message_id(), c.admissions, c.revocations};
}

}  // namespace

lkh::DistributionParams distribution_params(const config::LkhSettings& settings,
                                            const config::Group& group) {
    lkh::DistributionParams params;
    const std::string id = group.address.to_string();
    params.group_id.assign(id.begin(), id.end());
    params.degree = settings.degree;
    params.max_receivers = settings.max_receivers;
    params.link.bits_per_second = settings.link_bps;
    params.copies = settings.copies;
    params.batch_window = lkh::Duration(settings.batch_window_ms);
    params.state_interval = lkh::Duration(settings.state_interval_ms);
    params.admission = settings.renew_on_admission ? lkh::KeyServer::PathRenewal::Renew
                                                   : lkh::KeyServer::PathRenewal::HandOver;
    return params;
}

LkhSenderService::LkhSenderService(const config::LkhSettings& settings,
                                   const MessageAuthenticator& self, ReceiverCheck is_receiver,
                                   SenderCheck is_sender, std::filesystem::path revocations_file,
                                   std::chrono::milliseconds settle)
    : settings_(settings),
      self_(&self),
      is_receiver_(std::move(is_receiver)),
      is_sender_(std::move(is_sender)),
      next_serial_(wall_microseconds()),
      revocations_file_(std::move(revocations_file)),
      settle_(settle) {
    if (!revocations_file_.empty()) loaded_ = load_revocations(revocations_file_, load_warning_);
}

bool LkhSenderService::persist(std::string& error) const {
    if (revocations_file_.empty()) return true;
    Revocations all;
    for (const auto& state : groups_) {
        if (!state->revoked.empty()) all[text_of(state->id)] = state->revoked;
    }
    return save_revocations(revocations_file_, all, error);
}

void LkhSenderService::add_group(const config::Group& group) {
    auto state = std::make_unique<GroupState>();
    state->group = &group;
    const std::string id = group.address.to_string();
    state->id.assign(id.begin(), id.end());
    if (const auto known = loaded_.find(id); known != loaded_.end()) state->revoked = known->second;
    tek_air_time_ = std::max(tek_air_time_,
                             lkh::tek_push_air_time(distribution_params(settings_, group), *self_));
    groups_.push_back(std::move(state));
}

LkhSenderService::GroupState* LkhSenderService::find(const std::string& group) {
    for (auto& state : groups_) {
        if (text_of(state->id) == group) return state.get();
    }
    return nullptr;
}

LkhSenderService::GroupState* LkhSenderService::find(const std::vector<std::uint8_t>& group_id) {
    for (auto& state : groups_) {
        if (state->id == group_id) return state.get();
    }
    return nullptr;
}

lkh::DistributionParams LkhSenderService::params_for(const GroupState& state) const {
    auto params = distribution_params(settings_, *state.group);
    params.message_id_floor = wall_microseconds;
    return params;
}

void LkhSenderService::start_serving(GroupState& state, TimePoint now, LkhEffects& effects) {
    std::optional<lkh::KeyDistribution> distribution;
    const std::uint64_t continued_before = state.trees_continued;
    const std::string id = text_of(state.id);
    if (state.replica) {
        distribution = lkh::KeyDistribution::restore(params_for(state), *self_,
                                                     state.replica->state.view(), now);
        if (distribution) {
            ++state.trees_continued;
            effects.log.push_back(
                "group " + id + ": LKH key server continues " + state.replica->server +
                "'s tree (" + std::to_string(distribution->receivers().size()) +
                " receivers, replica " + std::to_string(state.replica->serial) + ")");
        } else {
            effects.alarms.push_back({"PROTOCOL_VIOLATION", id, state.replica->server,
                                      "the LKH tree replica cannot be restored (another tree "
                                      "shape, or damaged): starting a new tree"});
        }
        state.replica.reset();
    }
    if (!distribution) {
        distribution = lkh::KeyDistribution::create(params_for(state), *self_);
        if (!distribution) {
            effects.alarms.push_back(
                {"SERVER_CONFLICT", id, {}, "cannot start the LKH key server (randomness)"});
            return;
        }
        ++state.trees_started;
        state.answer_from = now + settle_;
        effects.log.push_back("group " + id + ": LKH key server started a new tree (degree " +
                              std::to_string(settings_.degree) + ", up to " +
                              std::to_string(settings_.max_receivers) + " receivers)");
    }
    state.distribution = std::make_unique<lkh::KeyDistribution>(std::move(*distribution));
    const GroupState* group = &state;
    state.desk = std::make_unique<lkh::RegistrationDesk>(
        state.id, *state.distribution, *self_,
        [this, group](const NodeId& node, std::span<const std::uint8_t> credential) {
            return !group->revoked.contains(node) && is_receiver_(*group->group, node, credential);
        });
    state.rekey_asked = false;
    state.given_epoch = 0;
    state.replicated.reset();  // the new server replicates at once
    if (state.trees_continued > continued_before) state.answer_from = now;
    // Revocations this node knows of that the tree may not reflect yet.
    for (const auto& node : state.revoked) state.distribution->revoke(node, now);
    give_tek(state, now, effects);
}

void LkhSenderService::give_tek(GroupState& state, TimePoint now, LkhEffects& effects) {
    // A new tree keeps quiet while it settles: a node that is TM only for the moment an
    // election takes would otherwise push a tree every receiver takes for a new key server.
    if (!state.distribution || !state.tek_epoch || *state.tek_epoch <= state.given_epoch ||
        now < state.answer_from) {
        return;
    }
    state.given_epoch = *state.tek_epoch;
    if (!state.distribution->on_tek(lkh::Tek{*state.tek_epoch, state.tek_spi, state.tek.view()},
                                    now)) {
        // A continued tree with a removal pending refuses the key it was given with: it waits
        // for the next epoch (needs_new_tek starts one). Any other refusal is a fault.
        if (!state.distribution->new_tek_due()) {
            effects.alarms.push_back({"SERVER_CONFLICT",
                                      text_of(state.id),
                                      {},
                                      "epoch " + std::to_string(*state.tek_epoch) +
                                          "'s key was refused by the LKH key server"});
        }
        return;
    }
    state.rekey_asked = false;
}

void LkhSenderService::follow(const config::Group& group, bool is_tm, TimePoint now,
                              LkhEffects& effects) {
    GroupState* state = find(group.address.to_string());
    if (state == nullptr) return;
    if (is_tm && !state->distribution) {
        start_serving(*state, now, effects);
    } else if (!is_tm && state->distribution) {
        // Another node is the TM: its tree rules. Ours is wiped (WipedBuffer) with the server.
        state->desk.reset();
        state->distribution.reset();
        effects.log.push_back("group " + text_of(state->id) +
                              ": LKH key server stopped (another node is the TM)");
    }
}

void LkhSenderService::on_tek(const config::Group& group, std::uint64_t epoch, std::uint32_t spi,
                              std::span<const std::uint8_t> key_and_salt, TimePoint now,
                              LkhEffects& effects) {
    GroupState* state = find(group.address.to_string());
    if (state == nullptr) return;
    state->tek_epoch = epoch;
    state->tek_spi = spi;
    state->tek = lkh::WipedBuffer(key_and_salt.size());
    std::ranges::copy(key_and_salt, state->tek.writable().begin());
    give_tek(*state, now, effects);
}

void LkhSenderService::on_registration(std::span<const std::uint8_t> datagram,
                                       const std::string& source,
                                       std::chrono::system_clock::time_point wall, TimePoint now,
                                       LkhEffects& effects) {
    for (auto& state : groups_) {
        if (!state->desk) continue;
        if (now < state->answer_from) {
            // A new tree waits for the other senders' revocations (the receiver repeats).
            ++state->deferred;
            return;
        }
        const auto answer = state->desk->on_register(datagram, wall, now);
        if (answer.verdict == lkh::RegistrationVerdict::OtherGroup) continue;
        ++state->registrations[static_cast<std::size_t>(answer.verdict)];
        if (!answer.reply.empty()) effects.unicast.push_back({source, answer.reply});
        if (answer.verdict == lkh::RegistrationVerdict::Accepted) {
            const auto leaf = state->distribution->leaf_of(answer.receiver);
            effects.log.push_back("group " + text_of(state->id) + ": LKH receiver " +
                                  answer.receiver + " admitted at leaf " +
                                  std::to_string(leaf.value_or(0)) + " from " + source);
        }
        if (const auto alarm = lkh::alarm_for(answer.verdict); alarm != lkh::LkhAlarm::None) {
            effects.alarms.push_back({std::string(lkh::to_string(alarm)), text_of(state->id),
                                      answer.receiver,
                                      "LKH registration from " + source + " refused (" +
                                          std::string(lkh::to_string(answer.verdict)) + ")"});
        }
        return;
    }
    // A WELCOME another sender sent, or a REGISTER for a group this node does not serve now:
    // receivers multicast their REGISTER to every sender and only the TM answers.
}

std::string LkhSenderService::revoke(const std::string& group, const NodeId& receiver,
                                     TimePoint now) {
    GroupState* state = find(group);
    if (state == nullptr) {
        throw std::invalid_argument("no protected group " + group +
                                    " that this box may send to (LKH receivers are served by "
                                    "the group's senders)");
    }
    if (state->revoked.insert(receiver).second) {
        if (std::string error; !persist(error)) throw std::runtime_error(error);
    }
    if (!state->distribution) {
        return "recorded: " + receiver +
               " may not register through this box, and the group's other senders are told "
               "(its TM removes it from the key tree)";
    }
    if (!state->distribution->revoke(receiver, now)) {
        return "recorded: " + receiver +
               " may not register; it holds no leaf in this TM's tree (never registered here)";
    }
    return "removed from the key tree: the next group key (a rekey at the end of the " +
           std::to_string(settings_.batch_window_ms) + " ms batch window) does not reach it";
}

void LkhSenderService::poll(TimePoint now, LkhEffects& effects) {
    for (auto& state : groups_) {
        if (!state->distribution) continue;
        give_tek(*state, now, effects);  // one held back while a new tree settled
        if (state->distribution->needs_new_tek(now) && !state->rekey_asked) {
            state->rekey_asked = true;
            effects.rekeys.push_back(state->group->address);
            effects.log.push_back("group " + text_of(state->id) +
                                  ": LKH removal waits for a new group key: rekeying");
        }
        for (auto& datagram : state->distribution->poll(now)) {
            effects.multicast.push_back(std::move(datagram));
        }
    }
}

std::optional<LkhSenderService::TimePoint> LkhSenderService::next_due() const {
    std::optional<TimePoint> due;
    for (const auto& state : groups_) {
        if (!state->distribution) continue;
        TimePoint next = state->distribution->next_due();
        if (state->tek_epoch && *state->tek_epoch > state->given_epoch) {
            next = std::min(next, state->answer_from);
        }
        if (const auto rekey = state->distribution->new_tek_due(); rekey && !state->rekey_asked) {
            next = std::min(next, *rekey);
        }
        if (next != TimePoint::max()) due = due ? std::min(*due, next) : next;
    }
    return due;
}

std::vector<std::vector<std::uint8_t>> LkhSenderService::replica_frames(GroupState& state,
                                                                        TimePoint now) {
    lkh::TreeReplica replica;
    replica.group_id = state.id;
    replica.server = self_->node_id();
    replica.serial = ++next_serial_;
    replica.revoked.assign(state.revoked.begin(), state.revoked.end());
    replica.state = state.distribution->export_state(now);
    state.replicated = version_of(*state.distribution);
    ++state.replicas_sent;
    return lkh::encode_replica(replica);
}

std::vector<LkhSenderService::Outgoing> LkhSenderService::take_replicas(TimePoint now) {
    std::vector<Outgoing> out;
    for (auto& state : groups_) {
        if (!state->distribution || version_of(*state->distribution) == state->replicated) {
            continue;
        }
        out.push_back({state->group, replica_frames(*state, now)});
    }
    return out;
}

std::vector<LkhSenderService::Outgoing> LkhSenderService::for_new_sender(const NodeId& peer,
                                                                         TimePoint now) {
    std::vector<Outgoing> out;
    for (auto& state : groups_) {
        if (!is_sender_(*state->group, peer)) continue;
        Outgoing outgoing{state->group, {}};
        if (!state->revoked.empty()) outgoing.frames.push_back(revoked_frame(*state));
        if (state->distribution) {
            for (auto& frame : replica_frames(*state, now)) {
                outgoing.frames.push_back(std::move(frame));
            }
        }
        if (!outgoing.frames.empty()) out.push_back(std::move(outgoing));
    }
    return out;
}

std::vector<std::uint8_t> LkhSenderService::revoked_frame(const GroupState& state) const {
    return lkh::encode_revoked(
        {state.id, self_->node_id(), {state.revoked.begin(), state.revoked.end()}});
}

std::optional<LkhSenderService::Outgoing> LkhSenderService::revocations_of(
    const std::string& group) const {
    for (const auto& state : groups_) {
        if (text_of(state->id) == group && !state->revoked.empty()) {
            return Outgoing{state->group, {revoked_frame(*state)}};
        }
    }
    return std::nullopt;
}

void LkhSenderService::take_revocations(GroupState& state, const std::vector<NodeId>& revoked,
                                        const NodeId& from, TimePoint now, LkhEffects& effects) {
    bool added = false;
    for (const NodeId& node : revoked) {
        if (!state.revoked.insert(node).second) continue;
        added = true;
        std::string what = "LKH receiver " + node + " revoked at " + from + ": refused here too";
        if (state.distribution && state.distribution->revoke(node, now)) {
            what += ", and removed from the key tree";
        }
        effects.log.push_back("group " + text_of(state.id) + ": " + what);
    }
    if (std::string error; added && !persist(error)) {
        effects.alarms.push_back({"SERVER_CONFLICT", text_of(state.id), from, error});
    }
}

void LkhSenderService::on_replica_frame(const NodeId& peer, std::span<const std::uint8_t> frame,
                                        TimePoint now, LkhEffects& effects) {
    if (lkh::RevokedList list; lkh::parse_revoked(frame, list)) {
        GroupState* state = find(list.group_id);
        if (state == nullptr || list.sender != peer || !is_sender_(*state->group, peer)) {
            effects.alarms.push_back({"ACCESS_VIOLATION", text_of(list.group_id), peer,
                                      "LKH revocation list from a node that is not a sender of "
                                      "the group (or that names another sender): ignored"});
            return;
        }
        take_revocations(*state, list.revoked, peer, now, effects);
        return;
    }
    lkh::TreeReplica replica;
    const auto result = assembler_.add(frame, replica);
    if (result == lkh::ReplicaAssembler::Result::Malformed) {
        effects.alarms.push_back(
            {"MALFORMED_PACKET",
             {},
             peer,
             "LKH replica frame refused (does not parse, or a chunk went missing)"});
        return;
    }
    if (result != lkh::ReplicaAssembler::Result::Complete) return;
    GroupState* state = find(replica.group_id);
    if (state == nullptr || replica.server != peer || !is_sender_(*state->group, peer)) {
        effects.alarms.push_back({"ACCESS_VIOLATION", text_of(replica.group_id), peer,
                                  "LKH tree replica from a node that is not a sender of the "
                                  "group (or that names another server): ignored"});
        return;
    }
    ++state->replicas_received;
    take_revocations(*state, replica.revoked, peer, now, effects);
    if (state->distribution) {
        // An empty tree from a node that was TM for a moment (both sides of an election that
        // had not settled yet): nobody followed it, nothing to merge.
        const auto other =
            lkh::KeyDistribution::restore(params_for(*state), *self_, replica.state.view(), now);
        if (other && other->receivers().empty()) return;
        // Two key servers for one group: a partition healed. MIKE's TM election decides who
        // keeps serving; meanwhile this side sends a State at once, and ids that follow the
        // wall clock keep whatever the survivor sends above both sides' ids.
        ++state->split_brains;
        effects.alarms.push_back({"SPLIT_BRAIN", text_of(state->id), peer,
                                  peer + " also serves this group's LKH key tree (replica " +
                                      std::to_string(replica.serial) +
                                      "): the MIKE TM keeps its tree, the other stops serving; "
                                      "receivers that followed the other register again"});
        state->distribution->send_state_now(now);
        return;
    }
    state->replica = std::move(replica);
}

std::vector<LkhSenderService::GroupView> LkhSenderService::groups() const {
    std::vector<GroupView> out;
    for (const auto& state : groups_) {
        GroupView view;
        view.group = state->group;
        view.serving = state->distribution != nullptr;
        view.distribution = state->distribution.get();
        std::ranges::copy(state->registrations, view.registrations);
        view.trees_started = state->trees_started;
        view.trees_continued = state->trees_continued;
        view.deferred = state->deferred;
        if (state->replica) view.replica_from = state->replica->server;
        view.replicas_sent = state->replicas_sent;
        view.replicas_received = state->replicas_received;
        view.split_brains = state->split_brains;
        view.revoked = &state->revoked;
        out.push_back(view);
    }
    return out;
}

}  // namespace mcsec::control
