#include "hex.hpp"

#include <cstdint>
#include <optional>

namespace mcsec::config {
namespace {

std::optional<std::uint8_t> hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    return std::nullopt;
}

}  // namespace

bool decode_hex(std::string_view hex, SecretBytes& out, std::string& why) {
    out.clear();
    // Position first: a stray character is the likelier mistake and the more useful message.
    for (std::size_t index = 0; index < hex.size(); ++index) {
        if (!hex_digit_value(hex[index])) {
            why = "character " + std::to_string(index + 1) + " is not a hex digit (0-9, a-f, A-F)";
            return false;
        }
    }
    if (hex.size() % 2 != 0) {
        why = "has an odd number of hex digits (" + std::to_string(hex.size()) + ")";
        return false;
    }
    if (hex.size() / 2 > SecretBytes::kCapacity) {
        why = "is longer than " + std::to_string(SecretBytes::kCapacity) + " bytes";
        return false;
    }
    for (std::size_t index = 0; index < hex.size(); index += 2) {
        const auto high = *hex_digit_value(hex[index]);
        const auto low = *hex_digit_value(hex[index + 1]);
        out.push_back(static_cast<std::uint8_t>((high << 4U) | low));
    }
    return true;
}

}  // namespace mcsec::config
