// Finding the instance's region from --instance or --config.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "mcsec/config/config.hpp"
#include "mcsec/shm/region.hpp"

namespace mcsec::ctl {

// Loads --config if given (errors printed). nullopt on failure.
std::optional<config::ApplianceConfig> load_config(const Args& args, bool required);
// Attaches to the region of --instance (or of --config's instance); prints why not.
std::unique_ptr<shm::Region> attach_region(const Args& args);

}  // namespace mcsec::ctl
