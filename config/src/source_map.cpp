#include "source_map.hpp"

#include <algorithm>
#include <cstdio>

namespace mcsec::config {
namespace {

bool is_bare_key_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

// Writes `key` as a TOML basic string, escaping what could garble a terminal or a log line.
std::string quoted_key(std::string_view key) {
    std::string quoted = "\"";
    for (const char c : key) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += c;
        } else if (byte < 0x20 || byte == 0x7F) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(byte));
            quoted += escape;
        } else {
            quoted += c;
        }
    }
    quoted += '"';
    return quoted;
}

}  // namespace

void SourceMap::record(std::string key_path, SourcePosition position) {
    positions_.insert_or_assign(std::move(key_path), position);
}

SourcePosition SourceMap::find(std::string_view key_path) const {
    while (true) {
        if (const auto it = positions_.find(std::string(key_path)); it != positions_.end())
            return it->second;
        if (key_path.empty()) return {};
        key_path = parent_path(key_path);
    }
}

std::string child_path(std::string_view parent, std::string_view key) {
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), is_bare_key_char);
    std::string path(parent);
    if (!path.empty()) path += '.';
    path += bare ? std::string(key) : quoted_key(key);
    return path;
}

std::string element_path(std::string_view array_path, std::size_t index) {
    return std::string(array_path) + "[" + std::to_string(index) + "]";
}

std::string_view parent_path(std::string_view key_path) noexcept {
    const auto cut = key_path.find_last_of(".[");
    return cut == std::string_view::npos ? std::string_view{} : key_path.substr(0, cut);
}

}  // namespace mcsec::config
