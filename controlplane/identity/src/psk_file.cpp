#include "mcsec/control/identity/credential_file.hpp"
#include "mcsec/control/identity/psk_authenticator.hpp"

#include <cctype>

namespace mcsec::control::identity {
namespace {

int hex_value(std::uint8_t digit) noexcept {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
    return -1;
}

bool is_space(std::uint8_t character) noexcept {
    return character == ' ' || character == '\t' || character == '\n' || character == '\r';
}

}  // namespace

PskKeyLoad load_psk_file(const std::filesystem::path& path) {
    constexpr std::string_view kWhat = "PSK file";
    PskKeyLoad result;
    CredentialFileBytes bytes;
    if (auto problem = read_credential_file(path, kWhat, FileSecrecy::Secret, bytes)) {
        result.error = std::move(*problem);
        return result;
    }
    const std::string prefix = std::string(kWhat) + " " + path.string() + ": ";

    // Messages give positions and counts only: never a character of the key.
    std::size_t digits = 0;
    int high_nibble = -1;
    std::size_t offset = 0;
    for (const std::uint8_t character : bytes.view()) {
        ++offset;
        if (is_space(character)) continue;
        const int value = hex_value(character);
        if (value < 0) {
            result.key.clear();
            result.error = prefix + "byte " + std::to_string(offset) +
                           " is not a hex digit; the file must hold the key as hex digits "
                           "only (whitespace allowed)";
            return result;
        }
        ++digits;
        if (high_nibble < 0) {
            high_nibble = value;
            continue;
        }
        // Past the capacity keep counting digits, so the message can say how long the key is.
        (void)result.key.push_back(static_cast<std::uint8_t>((high_nibble << 4) | value));
        high_nibble = -1;
    }
    const auto fail = [&](std::string problem) {
        result.key.clear();
        result.error = prefix + std::move(problem);
        return std::move(result);
    };
    if (digits % 2 != 0) return fail("odd number of hex digits (" + std::to_string(digits) + ")");
    const std::size_t key_bytes = digits / 2;
    if (key_bytes < kMinPskBytes) {
        return fail("key is " + std::to_string(key_bytes) + " bytes; at least " +
                    std::to_string(kMinPskBytes) + " bytes (" + std::to_string(2 * kMinPskBytes) +
                    " hex digits) are required");
    }
    if (key_bytes > kMaxPskBytes) {
        return fail("key is " + std::to_string(key_bytes) + " bytes; at most " +
                    std::to_string(kMaxPskBytes) + " bytes are supported");
    }
    return result;
}

}  // namespace mcsec::control::identity
