#pragma once

#include <toml++/toml.h>

#include "diagnostics.hpp"
#include "mcsec/config/config.hpp"

namespace mcsec::config {

// Reads every section of a parsed document into `config`: types, ranges, required and unknown
// keys, and the syntax of each value. Relations between values are config_validate's job.
// Returns false when the file declares a schema version other than 1; then nothing else is read,
// because its other errors would only be noise.
bool read_appliance_config(const toml::table& root, Diagnostics& diagnostics,
                           ApplianceConfig& config);

}  // namespace mcsec::config
