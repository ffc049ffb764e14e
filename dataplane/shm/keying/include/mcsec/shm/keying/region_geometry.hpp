// The size of the shared-memory region a config asks for, computed the same way by whichever
// process creates the region (the dataplane or controld).
#pragma once

#include "mcsec/config/config.hpp"
#include "mcsec/shm/region.hpp"

namespace mcsec::shm {

Geometry region_geometry(const config::ApplianceConfig& config);

}  // namespace mcsec::shm
