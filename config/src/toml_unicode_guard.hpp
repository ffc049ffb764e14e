#pragma once

// Work-around for a toml++ 3.3 bug (marzer/tomlplusplus#295, #190; fixed upstream by PR #305,
// not in Debian 12's 3.3.0): its generated is_non_ascii_horizontal_whitespace() reaches
// __builtin_unreachable() for some non-ASCII code points, which the parser asks about whenever
// such a character sits where whitespace could be (e.g. "\xcc\xaa" as a whole document). That is
// undefined behaviour on input an operator or attacker controls, so the loader refuses those
// characters before toml++ sees them. Remove this file once the toml++ in use has the fix.

#include <optional>
#include <string_view>

#include "source_map.hpp"

namespace mcsec::config {

struct UnsupportedCharacter {
    SourcePosition position;  // line and column as toml++ counts them (code points)
    char32_t code_point = 0;
};

// The first code point in `text` that would send toml++ 3.3 into undefined behaviour, if any.
// Invalid UTF-8 is skipped here; toml++ reports it.
std::optional<UnsupportedCharacter> find_unsupported_character(std::string_view text) noexcept;

}  // namespace mcsec::config
