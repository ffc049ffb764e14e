#include "mcsec/shm/keying/group_policies.hpp"

#include <algorithm>

#include "mcsec/shm/keying/sa_builder.hpp"

namespace mcsec::shm {

void remove_stale_policies(const config::ApplianceConfig& config, SaTableWriter& writer) {
    for (const auto& key : writer.policies()) {
        const bool configured =
            std::any_of(config.groups.begin(), config.groups.end(), [&](const config::Group& g) {
                const auto source = policy_source(g);
                return to_esp(g.address) == key.group &&
                       source.has_value() == key.source.has_value() &&
                       (!source || (source->length == key.source->length &&
                                    source->address == key.source->address));
            });
        if (!configured) writer.remove_policy(key.group, key.source);
    }
}

const config::Group* set_group_policies(const config::ApplianceConfig& config, Region& region,
                                        SaTableWriter& writer) {
    SaTableReader reader(region);
    for (const auto& group : config.groups) {
        if (group.action != config::GroupAction::Protect) continue;
        const auto address = to_esp(group.address);
        const auto source = policy_source(group);
        if (reader.find_policy_entry(address, source)) continue;
        if (!writer.set_policy(address, source, PolicyAction::Protect)) return &group;
    }
    remove_stale_policies(config, writer);
    for (const auto& group : config.groups) {
        if (group.action == config::GroupAction::Protect) continue;
        const auto action = group.action == config::GroupAction::Bypass ? PolicyAction::Bypass
                                                                        : PolicyAction::Discard;
        if (!writer.set_policy(to_esp(group.address), policy_source(group), action)) return &group;
    }
    return nullptr;
}

}  // namespace mcsec::shm
