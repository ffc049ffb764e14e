// The LKH revocations an operator gave (or this box learnt from the group's other senders),
// kept across restarts in <state_dir>/<instance>.lkh-revoked: one "GROUP NODE" line each. A
// revocation must outlive every process that knew it, or a revoked receiver would simply
// register again after the senders restart.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "mcsec/control/authenticator.hpp"

namespace mcsec::control {

using Revocations = std::map<std::string, std::set<NodeId>>;  // by group address

// What the file holds (nothing if it does not exist). A line that is not "GROUP NODE" is
// skipped and named in `warning`.
Revocations load_revocations(const std::filesystem::path& file, std::string& warning);
// Replaces the file (written beside it, fsync'd, renamed over it). False with `error`.
bool save_revocations(const std::filesystem::path& file, const Revocations& revocations,
                      std::string& error);

}  // namespace mcsec::control
