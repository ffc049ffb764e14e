// The SPD entries a config's groups need whatever keys there are, set the same way by every
// SA table writer that starts from a config (the dataplane's manual keying, controld).
#pragma once

#include "mcsec/config/config.hpp"
#include "mcsec/shm/region.hpp"
#include "mcsec/shm/sa_table.hpp"

namespace mcsec::shm {

// Removes the region's SPD entries that no group of `config` has (left by a previous config
// in a region that outlived it), so none of them applies to traffic any more.
void remove_stale_policies(const config::ApplianceConfig& config, SaTableWriter& writer);

// In this order: a PROTECT entry without an SA (it discards until a key is switched in) for
// each protected group that has no entry yet (one already there keeps its SA, so senders go on
// across a restart), then removal of stale entries, then every BYPASS and DISCARD entry. So a
// BYPASS for a wider prefix never carries a protected source's traffic, not even while this
// runs. Returns the group whose entry did not fit in the SPD, or nullptr once all are set.
const config::Group* set_group_policies(const config::ApplianceConfig& config, Region& region,
                                        SaTableWriter& writer);

}  // namespace mcsec::shm
