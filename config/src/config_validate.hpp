#pragma once

#include "diagnostics.hpp"
#include "mcsec/config/config.hpp"

namespace mcsec::config {

// Checks the relations between values that config_sections read one by one: uniqueness, name
// and group references, address families, key lengths, what each keying mode needs. Values that
// already failed to load are skipped, so a single mistake is reported once.
void validate_config(const ApplianceConfig& config, Diagnostics& diagnostics);

}  // namespace mcsec::config
