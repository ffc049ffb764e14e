#include "lkh_sender_service.hpp"

#include <algorithm>
#include <stdexcept>

namespace mcsec::control {

namespace {

std::string text_of(const std::vector<std::uint8_t>& id) {
    return {id.begin(), id.end()};
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
                                   const MessageAuthenticator& self, ReceiverCheck is_receiver)
    : settings_(settings), self_(&self), is_receiver_(std::move(is_receiver)) {}

void LkhSenderService::add_group(const config::Group& group) {
    auto state = std::make_unique<GroupState>();
    state->group = &group;
    const std::string id = group.address.to_string();
    state->id.assign(id.begin(), id.end());
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

void LkhSenderService::start_serving(GroupState& state, TimePoint now, LkhEffects& effects) {
    auto distribution =
        lkh::KeyDistribution::create(distribution_params(settings_, *state.group), *self_);
    if (!distribution) {
        effects.alarms.push_back({"SERVER_CONFLICT",
                                  text_of(state.id),
                                  {},
                                  "cannot start the LKH key server (tree shape or randomness)"});
        return;
    }
    state.distribution = std::make_unique<lkh::KeyDistribution>(std::move(*distribution));
    const GroupState* group = &state;
    state.desk = std::make_unique<lkh::RegistrationDesk>(
        state.id, *state.distribution, *self_,
        [this, group](const NodeId& node, std::span<const std::uint8_t> credential) {
            return !group->revoked.contains(node) && is_receiver_(*group->group, node, credential);
        });
    state.rekey_asked = false;
    ++state.trees_started;
    effects.log.push_back("group " + text_of(state.id) + ": LKH key server started (degree " +
                          std::to_string(settings_.degree) + ", up to " +
                          std::to_string(settings_.max_receivers) + " receivers)");
    if (state.tek_epoch) {
        const lkh::Tek tek{*state.tek_epoch, state.tek_spi, state.tek.view()};
        state.distribution->on_tek(tek, now);
    }
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
    if (!state->distribution) return;
    if (!state->distribution->on_tek(lkh::Tek{epoch, spi, state->tek.view()}, now)) {
        effects.alarms.push_back(
            {"SERVER_CONFLICT",
             text_of(state->id),
             {},
             "epoch " + std::to_string(epoch) + "'s key was refused by the LKH key server"});
        return;
    }
    state->rekey_asked = false;
}

void LkhSenderService::on_registration(std::span<const std::uint8_t> datagram,
                                       const std::string& source,
                                       std::chrono::system_clock::time_point wall, TimePoint now,
                                       LkhEffects& effects) {
    for (auto& state : groups_) {
        if (!state->desk) continue;
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
    state->revoked.insert(receiver);
    if (!state->distribution) {
        return "recorded: " + receiver +
               " may not register through this box; this box is not the group's TM, so revoke "
               "it on the TM too to remove it from the key tree";
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
        if (const auto rekey = state->distribution->new_tek_due(); rekey && !state->rekey_asked) {
            next = std::min(next, *rekey);
        }
        if (next != TimePoint::max()) due = due ? std::min(*due, next) : next;
    }
    return due;
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
        view.revoked = &state->revoked;
        out.push_back(view);
    }
    return out;
}

}  // namespace mcsec::control
