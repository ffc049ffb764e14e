// The node-id rule of every control-plane wire format, checked on every id a parser reads and
// on every id a message is built with.
#pragma once

#include <cstddef>
#include <string_view>

namespace mcsec::control::wire {

inline constexpr std::size_t kMaxNodeIdBytes = 32;

// Same rule as the configuration's instance.name (MessageAuthenticator's NodeId):
// 1..32 characters of [A-Za-z0-9_-].
bool is_valid_node_id(std::string_view id) noexcept;

}  // namespace mcsec::control::wire
