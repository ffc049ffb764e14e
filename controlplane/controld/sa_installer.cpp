#include "sa_installer.hpp"

#include <algorithm>

#include "mcsec/shm/keying/group_policies.hpp"
#include "mcsec/shm/keying/sa_builder.hpp"
#include "mcsec/shm/monotonic.hpp"

namespace mcsec::control {

std::string selector_name(const config::Group& group) {
    const auto source = config::source_selector(group.source);
    return group.address.to_string() + (source ? " from " + source->to_string() : "");
}

SaInstaller::SaInstaller(const config::ApplianceConfig& config, shm::Region& region,
                         InstallerDelays delays)
    : config_(config), region_(region), delays_(delays) {}

bool SaInstaller::start(std::string& error) {
    writer_ = shm::SaTableWriter::acquire(region_, error);
    if (!writer_) return false;
    // Protected entries come first, each with no SA until its first key is switched in: an
    // entry a previous controld left keeps its SA, so senders go on while this one agrees a
    // new key.
    if (const config::Group* full = shm::set_group_policies(config_, region_, *writer_)) {
        error = "cannot set the policy of group " + selector_name(*full);
        return false;
    }
    for (const auto& group : config_.groups) {
        if (group.action == config::GroupAction::Protect)
            groups_[selector_name(group)].group = &group;
    }
    // SAs of a previous run: keep receiving on them until a new epoch replaces them.
    for (uint32_t slot = 0; slot < region_.geometry().sa_slots; ++slot) {
        const shm::SaControl& c = region_.control(slot);
        if (c.state.load(std::memory_order_acquire) !=
            static_cast<uint32_t>(shm::SlotState::Active)) {
            continue;
        }
        const auto red = esp::IpAddress::from_v6(c.red_group);
        const auto red_source = esp::IpAddress::from_v6(c.red_source);
        for (auto& [name, state] : groups_) {
            const auto source = shm::policy_source(*state.group);
            const bool same_source =
                source ? source->length == c.red_source_length && source->address == red_source
                       : c.red_source_length == 0;
            if (shm::to_esp(state.group->address) == red && same_source) {
                state.receiving.push_back({c.spi, slot, c.sender_id, std::nullopt});
            }
        }
    }
    return true;
}

bool SaInstaller::install(const config::Group& group, std::uint32_t spi,
                          const config::SecretBytes& key_and_salt, std::uint16_t sender_id,
                          TimePoint now, std::string& error, bool may_send) {
    if (!writer_) {
        error = "not started";
        return false;
    }
    const std::string name = selector_name(group);
    auto it = groups_.find(name);
    if (it == groups_.end()) {
        error = "group " + name + " is not protected in the config";
        return false;
    }
    // The sender ID is not the config's: MIKE assigns one per key (sender_id_of).
    const auto spec = shm::group_sa_spec(config_, *it->second.group, spi, key_and_salt.view(),
                                         sender_id, shm::monotonic_seconds(), error);
    if (!spec) return false;
    const auto slot = writer_->add_sa(*spec, error);
    if (!slot) {
        error = "group " + name + " SPI " + std::to_string(spi) + ": " + error;
        return false;
    }
    const Installed installed{spi, *slot, sender_id, now, may_send};
    it->second.receiving.push_back(installed);
    steps_.push_back({Step::Kind::Switch, now + delays_.activation, name, installed});
    std::stable_sort(steps_.begin(), steps_.end(),
                     [](const Step& a, const Step& b) { return a.due < b.due; });
    return true;
}

void SaInstaller::run_due(TimePoint now) {
    if (!writer_) return;
    while (!steps_.empty() && steps_.front().due <= now) {
        const Step step = steps_.front();
        steps_.erase(steps_.begin());
        GroupState& state = groups_[step.group];
        if (step.kind == Step::Kind::Switch) {
            // A newer epoch may have switched already: never go back to an older SA.
            if (state.receiving.empty() || state.receiving.back().slot != step.sa.slot) continue;
            if (step.sa.may_send) {
                writer_->set_policy(shm::to_esp(state.group->address),
                                    shm::policy_source(*state.group), shm::PolicyAction::Protect,
                                    step.sa.slot);
                state.sending = step.sa;
            }
            // Everything older than the new SA retires after the deactivation delay.
            for (const Installed& old : state.receiving) {
                if (old.slot == step.sa.slot) continue;
                steps_.push_back({Step::Kind::Retire, now + delays_.deactivation, step.group, old});
            }
            std::stable_sort(steps_.begin(), steps_.end(),
                             [](const Step& a, const Step& b) { return a.due < b.due; });
        } else {
            auto& receiving = state.receiving;
            const auto gone = std::find_if(receiving.begin(), receiving.end(), [&](const auto& r) {
                return r.slot == step.sa.slot && r.spi == step.sa.spi;
            });
            if (gone == receiving.end()) continue;  // retired by an earlier step
            writer_->retire_sa(gone->slot);
            receiving.erase(gone);
        }
    }
    writer_->reclaim();
}

std::optional<SaInstaller::TimePoint> SaInstaller::next_due() const {
    if (steps_.empty()) return std::nullopt;
    return steps_.front().due;
}

bool SaInstaller::sending_sa_soft_expired(const config::Group& group) const {
    const auto it = groups_.find(selector_name(group));
    if (it == groups_.end() || !it->second.sending) return false;
    const shm::SaRuntime& runtime = region_.runtime(it->second.sending->slot);
    return std::atomic_ref<const uint8_t>(runtime.outbound.soft_expired)
               .load(std::memory_order_relaxed) != 0;
}

std::uint64_t SaInstaller::own_sender_id_packets(const std::string& group) const {
    const auto it = groups_.find(group);
    if (it == groups_.end()) return 0;
    std::uint64_t total = 0;
    for (const Installed& sa : it->second.receiving) {
        total += std::atomic_ref<const std::uint64_t>(
                     region_.runtime(sa.slot).inbound.own_sender_id_packets)
                     .load(std::memory_order_relaxed);
    }
    return total;
}

std::map<std::string, SaInstaller::GroupSas> SaInstaller::snapshot() const {
    std::map<std::string, GroupSas> out;
    for (const auto& [name, state] : groups_) {
        GroupSas& g = out[name];
        if (state.sending) g.sending_spi = state.sending->spi;
        for (const auto& r : state.receiving) {
            g.receiving_spis.push_back(r.spi);
            const bool retiring = std::any_of(steps_.begin(), steps_.end(), [&](const Step& s) {
                return s.kind == Step::Kind::Retire && s.group == name && s.sa.slot == r.slot;
            });
            g.sas.push_back({r.spi, r.slot, r.sender_id, r.installed_at, retiring});
        }
    }
    return out;
}

}  // namespace mcsec::control
