// The manual-keying path: writes a config's static SAs and group policies into the
// shared-memory region at the dataplane's start. The SAs and policies themselves are built by
// the writers' shared code (mcsec/shm/keying/), as for controld and `mcsecctl sa`.
#pragma once

#include <cstdint>
#include <string>

#include "mcsec/config/config.hpp"
#include "mcsec/shm/sa_table.hpp"

namespace mcsec::dataplane {

// Publishes every manual SA and every group's policy. Idempotent: an SA already in the region
// with the same SPI, destination and key is kept, with its sequence numbers and replay state,
// so restarting the dataplane or re-running this never resets a counter under the same key.
bool apply_manual_keys(const config::ApplianceConfig& config, shm::Region& region,
                       shm::SaTableWriter& writer, uint64_t now_seconds, std::string& error);

}  // namespace mcsec::dataplane
