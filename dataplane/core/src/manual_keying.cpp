#include "mcsec/dataplane/manual_keying.hpp"

#include <cstring>

#include "mcsec/shm/keying/group_policies.hpp"
#include "mcsec/shm/keying/sa_builder.hpp"

namespace mcsec::dataplane {

bool apply_manual_keys(const config::ApplianceConfig& config, shm::Region& region,
                       shm::SaTableWriter& writer, uint64_t now_seconds, std::string& error) {
    shm::SaTableReader reader(region);
    for (const auto& manual : config.manual_sas) {
        auto spec = shm::manual_sa_spec(config, manual, now_seconds, error);
        if (!spec) return false;
        uint32_t slot = reader.find_inbound(spec->spi, spec->tunnel_destination);
        if (slot != shm::kNoSlot) {
            const shm::SaControl& c = region.control(slot);
            const bool same_key = std::memcmp(c.key, spec->key.data(), spec->key.size()) == 0 &&
                                  std::memcmp(c.salt, spec->salt.data(), esp::kSaltLen) == 0;
            if (!same_key) {
                // The config changed the key of a live SPI: replace the SA (fresh counters are
                // safe under a new key).
                writer.retire_sa(slot);
                slot = shm::kNoSlot;
            }
        }
        if (slot == shm::kNoSlot) {
            auto added = writer.add_sa(*spec, error);
            if (!added) {
                error = "manual SA " + std::to_string(manual.spi) + ": " + error;
                return false;
            }
            slot = *added;
        }
        const config::Group* group = config.find_group(manual.group, manual.source);
        if (!writer.set_policy(shm::to_esp(group->address), shm::policy_source(*group),
                               shm::PolicyAction::Protect, slot)) {
            error = "SPD full";
            return false;
        }
    }
    // Every protected entry with its SA is in before the rest: a protected group without an SA
    // (the config check refuses one) still gets its entry, so it discards rather than fall to a
    // wider one.
    if (shm::set_group_policies(config, region, writer) != nullptr) {
        error = "SPD full";
        return false;
    }
    return true;
}

}  // namespace mcsec::dataplane
