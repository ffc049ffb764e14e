#pragma once

// Work-around for a toml++ 3.3 bug found by fuzz_config_loader: a table header whose first
// character after "[" or "[[" (and any blanks) is not a bare-key character, a quote, a blank or
// "]" (e.g. "[=]", "[#]", "[" + a control byte) trips an internal assertion / unreachable path
// in the header parser instead of a parse error. The loader rejects such headers before toml++
// sees them, with the position. Remove with the unicode guard once toml++ is fixed.

#include <optional>
#include <string_view>

#include "source_map.hpp"

namespace mcsec::config {

// Position of the first malformed table header in `text`, if any. Table headers are only
// looked for at the start of a line outside strings, comments and array values.
std::optional<SourcePosition> find_malformed_table_header(std::string_view text) noexcept;

}  // namespace mcsec::config
