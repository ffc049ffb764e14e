// A key check value: lets operators and tests see that two appliances hold the same group key
// without the key ever leaving the process. The first 3 bytes of SHA-256("mcsec key check
// value" || key), as 6 hex digits (the size of a classic KCV: far too short to help anyone
// guess a 128- or 256-bit key).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace mcsec::control {

std::string key_check_value(std::span<const std::uint8_t> key);

}  // namespace mcsec::control
