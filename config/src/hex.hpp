#pragma once

#include <string>
#include <string_view>

#include "mcsec/config/secret_bytes.hpp"

namespace mcsec::config {

// Decodes an even-length string of hex digits (either case, no prefix or separators) into `out`.
// On failure `out` is left empty and `why` says what is wrong without quoting any of the input:
// the input is key material.
bool decode_hex(std::string_view hex, SecretBytes& out, std::string& why);

}  // namespace mcsec::config
