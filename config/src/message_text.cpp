#include "message_text.hpp"

#include <algorithm>
#include <cstdio>

namespace mcsec::config {
namespace {

// Longest echo of operator input in a message; enough to recognise the value.
constexpr std::size_t kMaxEchoedChars = 64;

}  // namespace

std::string quote_for_message(std::string_view text) {
    std::size_t cut = std::min(text.size(), kMaxEchoedChars);
    // Never split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U)
        --cut;
    std::string quoted = "'";
    for (const char c : text.substr(0, cut)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\x%02X", static_cast<unsigned>(byte));
            quoted += escape;
        } else {
            quoted += c;
        }
    }
    if (cut < text.size()) quoted += "...";
    quoted += "'";
    return quoted;
}

}  // namespace mcsec::config
