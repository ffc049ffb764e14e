// The group id field every LKH message starts its body with: u8 length (1..255) + bytes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "mcsec/control/wire/byte_io.hpp"

namespace mcsec::control::lkh {

inline void write_group_id(wire::ByteWriter& writer, const std::vector<std::uint8_t>& group) {
    if (group.empty() || group.size() > 255) {
        throw std::invalid_argument("LKH: a group id is 1..255 bytes");
    }
    writer.u8(static_cast<std::uint8_t>(group.size()));
    writer.bytes(group);
}

// False when the field is truncated or empty.
inline bool read_group_id(wire::ByteReader& reader, std::vector<std::uint8_t>& group) {
    const auto length = reader.u8();
    if (!length || *length == 0) return false;
    const auto bytes = reader.bytes(*length);
    if (!bytes) return false;
    group.assign(bytes->begin(), bytes->end());
    return true;
}

}  // namespace mcsec::control::lkh
