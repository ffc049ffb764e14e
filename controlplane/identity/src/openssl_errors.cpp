#include "mcsec/control/identity/openssl_handles.hpp"

#include <openssl/err.h>

#include <array>

namespace mcsec::control::identity {

std::string take_openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        std::array<char, 256> buffer{};
        ERR_error_string_n(code, buffer.data(), buffer.size());
        if (!text.empty()) text += "; ";
        text += buffer.data();
    }
    return text;
}

}  // namespace mcsec::control::identity
