#include "toml_source_map.hpp"

namespace mcsec::config {
namespace {

// Recursion depth is bounded by toml++ itself (TOML_MAX_NESTED_VALUES).
void record_node(const toml::node& node, const std::string& path, SourceMap& map) {
    map.record(path, to_position(node.source().begin));
    if (const auto* table = node.as_table()) {
        for (const auto& [key, value] : *table)
            record_node(value, child_path(path, key.str()), map);
    } else if (const auto* array = node.as_array()) {
        for (std::size_t index = 0; index < array->size(); ++index)
            record_node(*array->get(index), element_path(path, index), map);
    }
}

}  // namespace

SourcePosition to_position(const toml::source_position& position) noexcept {
    return {.line = position.line, .column = position.column};
}

SourceMap build_source_map(const toml::table& root) {
    SourceMap map;
    record_node(root, "", map);
    // An empty document has no source region; point at its start.
    if (map.find("").line == 0) map.record("", {.line = 1, .column = 1});
    return map;
}

}  // namespace mcsec::config
