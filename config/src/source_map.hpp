#pragma once

// Where each key of the parsed document sits in the source text, by key path ("ports[1].mtu"),
// so checks that run after parsing (duplicates, references) can still point at a line and column.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mcsec::config {

struct SourcePosition {
    std::uint32_t line = 0;  // 1-based; 0 = unknown
    std::uint32_t column = 0;
};

class SourceMap {
  public:
    void record(std::string key_path, SourcePosition position);

    // The position of `key_path` or, when it has none (a key that is missing from the file), of
    // its nearest recorded ancestor: a missing key is reported where its table starts.
    SourcePosition find(std::string_view key_path) const;

  private:
    std::unordered_map<std::string, SourcePosition> positions_;
};

// Key paths: "instance.name", "ports[0].addresses[1]". Keys that are not bare TOML keys are quoted
// ("\"a.b\"") so a path always reads unambiguously, whatever the file contains.
std::string child_path(std::string_view parent, std::string_view key);
std::string element_path(std::string_view array_path, std::size_t index);
// "ports[0].name" -> "ports[0]" -> "ports" -> "". Only for paths of bare keys.
std::string_view parent_path(std::string_view key_path) noexcept;

}  // namespace mcsec::config
