#pragma once

#include <toml++/toml.h>

#include "source_map.hpp"

namespace mcsec::config {

SourcePosition to_position(const toml::source_position& position) noexcept;

// Records the position of every value in the document under its key path. The root table is ""
// and always has a position, so every lookup ends somewhere in the file.
SourceMap build_source_map(const toml::table& root);

}  // namespace mcsec::config
