#include "lkh_receiver_service.hpp"

#include <algorithm>
#include <stdexcept>

namespace mcsec::control {

namespace {

std::string text_of(const std::vector<std::uint8_t>& id) {
    return {id.begin(), id.end()};
}

}  // namespace

std::string_view to_string(LkhReceiverService::Phase phase) noexcept {
    switch (phase) {
        case LkhReceiverService::Phase::Registering:
            return "registering";
        case LkhReceiverService::Phase::Following:
            return "following";
        case LkhReceiverService::Phase::Behind:
            return "behind";
    }
    return "?";
}

LkhReceiverService::LkhReceiverService(const config::LkhSettings& settings,
                                       const MessageAuthenticator& self, SenderCheck is_sender,
                                       std::chrono::milliseconds retransmit)
    : emcon_(settings.emcon),
      self_(&self),
      is_sender_(std::move(is_sender)),
      retransmit_(retransmit) {}

void LkhReceiverService::add_group(const config::Group& group, TimePoint now) {
    auto state = std::make_unique<GroupState>();
    state->group = &group;
    const std::string id = group.address.to_string();
    state->id.assign(id.begin(), id.end());
    start_registering(*state, now);
    groups_.push_back(std::move(state));
}

void LkhReceiverService::start_registering(GroupState& state, TimePoint now) {
    // A fresh ephemeral key and nonce each time: an old WELCOME cannot answer a new request.
    state.request = lkh::RegistrationRequest::create(state.id, *self_);
    state.phase = Phase::Registering;
    state.next_register = now;
    state.behind_alarmed = false;
}

void LkhReceiverService::register_again(const std::string& group, TimePoint now) {
    for (auto& state : groups_) {
        if (text_of(state->id) != group) continue;
        start_registering(*state, now);
        return;
    }
    throw std::invalid_argument("this box receives no protected group " + group);
}

void LkhReceiverService::hand_out(GroupState& state, LkhEffects& effects) {
    while (auto tek = state.reception->take_new_tek()) {
        LkhEffects::NewKey key;
        key.group = state.group;
        key.epoch = tek->epoch;
        key.spi = tek->spi;
        for (const std::uint8_t byte : tek->key_and_salt.view()) key.key_and_salt.push_back(byte);
        effects.keys.push_back(std::move(key));
    }
}

void LkhReceiverService::on_registration(std::span<const std::uint8_t> datagram,
                                         std::chrono::system_clock::time_point wall, TimePoint now,
                                         LkhEffects& effects) {
    for (auto& state : groups_) {
        if (!state->request) continue;
        const config::Group* group = state->group;
        const auto is_sender = [this, group](const NodeId& node,
                                             std::span<const std::uint8_t> credential) {
            return is_sender_(*group, node, credential);
        };
        auto welcome = state->request->open(datagram, *self_, is_sender, wall);
        if (welcome.verdict == lkh::RegistrationVerdict::OtherGroup) continue;
        ++state->welcomes[static_cast<std::size_t>(welcome.verdict)];
        const std::string id = text_of(state->id);
        if (const auto alarm = lkh::alarm_for(welcome.verdict); alarm != lkh::LkhAlarm::None) {
            effects.alarms.push_back(
                {std::string(lkh::to_string(alarm)), id, welcome.sender,
                 "LKH WELCOME refused (" + std::string(lkh::to_string(welcome.verdict)) + ")"});
        }
        if (welcome.verdict == lkh::RegistrationVerdict::TreeFull ||
            welcome.verdict == lkh::RegistrationVerdict::Refused) {
            // Refused (revoked, or not a receiver by the sender's access list) or no room: ask
            // again, each time waiting twice as long (up to a minute), so a refused box does not
            // keep the narrowband link busy.
            state->refusals = std::min(state->refusals + 1, 16u);
            const auto wait = std::min<std::chrono::milliseconds>(
                retransmit_ * (1u << std::min(state->refusals, 10u)), std::chrono::minutes(1));
            state->next_register = now + wait;
            effects.log.push_back("group " + id + ": LKH registration refused by " +
                                  welcome.sender + " (" +
                                  std::string(lkh::to_string(welcome.verdict)) +
                                  "): asking again in " + std::to_string(wait.count()) + " ms");
        }
        if (welcome.verdict != lkh::RegistrationVerdict::Accepted) return;
        auto reception = lkh::KeyReception::create(
            lkh::ReceptionParams{state->id, *welcome.shape, &*welcome.registration, is_sender},
            *self_);
        if (!reception) {
            effects.alarms.push_back({"PROTOCOL_VIOLATION", id, welcome.sender,
                                      "an authentic WELCOME whose keys do not make a receiver"});
            return;
        }
        const auto& registration = *welcome.registration;
        if (registration.tek_epoch != 0) {
            LkhEffects::NewKey key;
            key.group = state->group;
            key.epoch = registration.tek_epoch;
            key.spi = registration.tek_spi;
            for (const std::uint8_t byte : registration.tek.view())
                key.key_and_salt.push_back(byte);
            effects.keys.push_back(std::move(key));
        }
        state->reception = std::move(reception);
        state->request.reset();
        state->sender = welcome.sender;
        state->phase = Phase::Following;
        state->refusals = 0;
        ++state->registrations;
        effects.log.push_back("group " + id + ": LKH registered with " + welcome.sender +
                              ", leaf " + std::to_string(registration.leaf) + ", message id " +
                              std::to_string(registration.last_message_id));
        return;
    }
}

void LkhReceiverService::on_push(std::span<const std::uint8_t> datagram,
                                 std::chrono::system_clock::time_point wall, TimePoint now,
                                 LkhEffects& effects) {
    for (auto& state : groups_) {
        if (!state->reception) continue;
        const auto verdict = state->reception->on_datagram(datagram, wall);
        if (verdict == lkh::ReceptionVerdict::OtherGroup) continue;
        ++state->pushes[static_cast<std::size_t>(verdict)];
        const auto alarm = lkh::alarm_for(verdict);
        // Behind alone is normal on a lossy link: the next State repairs it. Only a State that
        // did not (needs_reregistration) is worth an operator's attention.
        if (alarm != lkh::LkhAlarm::None && alarm != lkh::LkhAlarm::KeysBehind) {
            effects.alarms.push_back(
                {std::string(lkh::to_string(alarm)),
                 text_of(state->id),
                 {},
                 "LKH push refused (" + std::string(lkh::to_string(verdict)) + ")"});
        }
        hand_out(*state, effects);
        if (state->reception->needs_reregistration() && state->phase == Phase::Following) {
            fell_behind(*state, now, effects);
        }
        return;
    }
}

void LkhReceiverService::fell_behind(GroupState& state, TimePoint now, LkhEffects& effects) {
    const std::string id = text_of(state.id);
    if (!emcon_) {
        effects.alarms.push_back({"KEYS_BEHIND", id, state.sender.value_or(""),
                                  "missed LKH keys a State message does not repair (or a new key "
                                  "server took over): registering again"});
        start_registering(state, now);
        return;
    }
    state.phase = Phase::Behind;
    if (!state.behind_alarmed) {
        state.behind_alarmed = true;
        effects.alarms.push_back(
            {"KEYS_BEHIND", id, state.sender.value_or(""),
             "missed LKH keys a State message does not repair (or a new key server took over); "
             "under EMCON this box stays silent: once it may transmit, run mcsecctl lkh-register " +
                 id});
    }
}

void LkhReceiverService::poll(TimePoint now, LkhEffects& effects) {
    for (auto& state : groups_) {
        if (state->phase != Phase::Registering || !state->request) continue;
        if (now < state->next_register) continue;
        effects.multicast.push_back(state->request->datagram());
        ++state->registers_sent;
        state->next_register = now + retransmit_;
    }
}

std::optional<LkhReceiverService::TimePoint> LkhReceiverService::next_due() const {
    std::optional<TimePoint> due;
    for (const auto& state : groups_) {
        if (state->phase != Phase::Registering || !state->request) continue;
        due = due ? std::min(*due, state->next_register) : state->next_register;
    }
    return due;
}

std::vector<LkhReceiverService::GroupView> LkhReceiverService::groups() const {
    std::vector<GroupView> out;
    for (const auto& state : groups_) {
        GroupView view;
        view.group = state->group;
        view.phase = state->phase;
        view.sender = state->sender;
        if (state->reception) {
            const auto& keys = state->reception->keys();
            view.leaf = keys.leaf();
            view.last_message_id = keys.last_message_id();
            if (const auto& tek = keys.tek()) {
                view.tek_epoch = tek->epoch;
                view.tek_spi = tek->spi;
            }
        }
        view.registers_sent = state->registers_sent;
        view.registrations = state->registrations;
        std::ranges::copy(state->welcomes, view.welcomes);
        std::ranges::copy(state->pushes, view.pushes);
        out.push_back(view);
    }
    return out;
}

}  // namespace mcsec::control
