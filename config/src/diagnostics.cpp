#include "diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace mcsec::config {

Diagnostics::Diagnostics(std::string file, SourceMap positions)
    : file_(std::move(file)), positions_(std::move(positions)) {}

void Diagnostics::error(std::string key_path, std::string message) {
    const auto position = positions_.find(key_path);
    error_at(position, std::move(key_path), std::move(message));
}

void Diagnostics::error_at(SourcePosition position, std::string key_path, std::string message) {
    errors_.push_back(ConfigError{.file = file_,
                                  .line = position.line,
                                  .column = position.column,
                                  .key_path = std::move(key_path),
                                  .message = std::move(message)});
}

bool Diagnostics::has_error_at_or_below(std::string_view key_path) const noexcept {
    return std::any_of(errors_.begin(), errors_.end(), [key_path](const ConfigError& error) {
        const std::string_view reported = error.key_path;
        if (!reported.starts_with(key_path)) return false;
        if (reported.size() == key_path.size() || key_path.empty()) return true;
        const char next = reported[key_path.size()];
        return next == '.' || next == '[';
    });
}

std::vector<ConfigError> Diagnostics::take_sorted() && {
    std::stable_sort(errors_.begin(), errors_.end(), [](const auto& left, const auto& right) {
        return std::tie(left.line, left.column) < std::tie(right.line, right.column);
    });
    return std::move(errors_);
}

}  // namespace mcsec::config
