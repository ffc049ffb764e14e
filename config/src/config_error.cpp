#include "mcsec/config/loader.hpp"

namespace mcsec::config {

std::string ConfigError::to_string() const {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on ":" + std::to_string(...).
    std::string text = file;
    if (line != 0) {
        text += ':';
        text += std::to_string(line);
        if (column != 0) {
            text += ':';
            text += std::to_string(column);
        }
    }
    text += ": ";
    if (!key_path.empty()) {
        text += key_path;
        text += ": ";
    }
    text += message;
    return text;
}

LoadResult::LoadResult(ApplianceConfig config) : value_(std::move(config)) {}

LoadResult::LoadResult(std::vector<ConfigError> errors) : value_(std::move(errors)) {}

const std::vector<ConfigError>& LoadResult::errors() const noexcept {
    static const std::vector<ConfigError> kNoErrors;
    const auto* errors = std::get_if<std::vector<ConfigError>>(&value_);
    return errors != nullptr ? *errors : kNoErrors;
}

std::string LoadResult::errors_to_string() const {
    std::string text;
    for (const auto& error : errors()) text += error.to_string() + "\n";
    return text;
}

}  // namespace mcsec::config
