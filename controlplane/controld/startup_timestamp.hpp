// IDP's startup timestamp: peers tell a restart (new timestamp: JOIN) from a lost connection
// (same timestamp: RESTORE) by it, and refuse anything older as a replay, so it must grow
// across restarts even if the clock steps back. It is max(now in microseconds, last + 1),
// remembered in a small state file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace mcsec::control {

// On a state file that cannot be read or written the timestamp is still returned (from the
// clock) and `warning` says why it may not grow across restarts.
std::uint64_t next_startup_timestamp(const std::filesystem::path& state_file,
                                     std::chrono::system_clock::time_point now,
                                     std::string& warning);

}  // namespace mcsec::control
