#pragma once

// Collects every error found while loading one file, with the file name and positions filled in,
// so the loader never stops at the first problem.

#include <string>
#include <string_view>
#include <vector>

#include "mcsec/config/loader.hpp"
#include "source_map.hpp"

namespace mcsec::config {

class Diagnostics {
  public:
    Diagnostics(std::string file, SourceMap positions);

    // An error about `key_path`, placed where the source map says that key (or its table) is.
    void error(std::string key_path, std::string message);
    // An error at an explicit position (a key's own position rather than its value's).
    void error_at(SourcePosition position, std::string key_path, std::string message);

    bool empty() const noexcept { return errors_.empty(); }
    // True when an error was reported for `key_path` or anything beneath it: "ports[1]" covers
    // "ports[1].name" but not "ports[10]". Cross-checks use it to stay quiet about values that
    // already failed to load, so one mistake yields one error, not a cascade.
    bool has_error_at_or_below(std::string_view key_path) const noexcept;

    const SourceMap& positions() const noexcept { return positions_; }

    // The errors in file order (line, then column, then the order they were found).
    std::vector<ConfigError> take_sorted() &&;

  private:
    std::string file_;
    SourceMap positions_;
    std::vector<ConfigError> errors_;
};

}  // namespace mcsec::config
