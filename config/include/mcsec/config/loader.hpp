#pragma once

// Loading and validating a configuration file. Nothing here throws: every problem, including
// an unreadable file, a TOML syntax error or running out of memory, comes back as ConfigError.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mcsec/config/config.hpp"

namespace mcsec::config {

struct ConfigError {
    std::string file;
    std::uint32_t line = 0;    // 1-based; 0 when the error has no position (unreadable file)
    std::uint32_t column = 0;  // 1-based; 0 when unknown
    std::string key_path;      // e.g. "groups[1].policy"; empty for syntax and file errors
    std::string message;

    // "file:line:column: key.path: message"; the position and key path are left out when unknown.
    std::string to_string() const;
};

// Either a valid configuration or every error found in it, sorted by position.
class LoadResult {
  public:
    explicit LoadResult(ApplianceConfig config);
    explicit LoadResult(std::vector<ConfigError> errors);

    bool ok() const noexcept { return std::holds_alternative<ApplianceConfig>(value_); }
    explicit operator bool() const noexcept { return ok(); }

    // Precondition: ok().
    const ApplianceConfig& config() const& { return std::get<ApplianceConfig>(value_); }
    ApplianceConfig& config() & { return std::get<ApplianceConfig>(value_); }
    ApplianceConfig&& config() && { return std::get<ApplianceConfig>(std::move(value_)); }

    // Empty when ok().
    const std::vector<ConfigError>& errors() const noexcept;
    // One error per line, each ending in '\n'.
    std::string errors_to_string() const;

  private:
    std::variant<ApplianceConfig, std::vector<ConfigError>> value_;
};

// Reads, parses and validates the file. Relative identity paths in it are resolved against the
// file's directory. Files larger than kMaxConfigFileBytes are rejected.
LoadResult load_config_file(const std::filesystem::path& path) noexcept;

// Parses and validates `text`; errors name `source_name` as their file. Paths stay as written.
LoadResult load_config_string(std::string_view text, std::string_view source_name) noexcept;

// A configuration for one appliance is a few kilobytes; anything near this is a mistake
// (or /dev/zero).
inline constexpr std::uintmax_t kMaxConfigFileBytes = 1U << 20;

}  // namespace mcsec::config
