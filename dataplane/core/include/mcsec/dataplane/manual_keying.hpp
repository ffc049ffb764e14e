// The manual-keying path: writes a config's static SAs and group policies into the
// shared-memory region (controld's manual mode and `mcsecctl sa ...` will call the same code).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mcsec/config/config.hpp"
#include "mcsec/esp/ip_header.hpp"
#include "mcsec/shm/sa_table.hpp"

namespace mcsec::dataplane {

esp::IpAddress to_esp(const config::IpAddress& address);
esp::SourcePrefix to_esp(const config::Prefix& prefix);

// The source selector of a group's SPD entry (and of its SAs): nullopt for any source (no
// `source`, or a /0), else the prefix in the 16-byte form. The one place that turns a config
// group into a selector: manual keying, controld and `mcsecctl sa` all use it, so every writer
// puts a group's policy under the same key.
std::optional<esp::SourcePrefix> policy_source(const config::Group& group);

// Removes the region's SPD entries that no group of `config` has (left by a previous config
// in a region that outlived it), so none of them applies to traffic any more.
void remove_stale_policies(const config::ApplianceConfig& config, shm::SaTableWriter& writer);

// The region geometry a config asks for.
shm::Geometry region_geometry(const config::ApplianceConfig& config);

// The SA spec for one manual SA of the config (key bytes point into the config).
std::optional<shm::SaSpec> manual_sa_spec(const config::ApplianceConfig& config,
                                          const config::ManualSa& manual, uint64_t now_seconds,
                                          std::string& error);

// Publishes every manual SA and every group's policy. Idempotent: an SA already in the region
// with the same SPI, destination and key is kept, with its sequence numbers and replay state,
// so restarting the dataplane or re-running this never resets a counter under the same key.
bool apply_manual_keys(const config::ApplianceConfig& config, shm::Region& region,
                       shm::SaTableWriter& writer, uint64_t now_seconds, std::string& error);

}  // namespace mcsec::dataplane
