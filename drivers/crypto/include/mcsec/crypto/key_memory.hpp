// Keeping key material out of places it could leak from: core dumps, ptrace by other processes
// of the same user, and swap.
#pragma once

#include <cstddef>
#include <string>

namespace mcsec::crypto {

// For a process that holds keys (mcsec-dataplane, mcsec-controld, mcsecctl): no core dumps
// (RLIMIT_CORE 0 and PR_SET_DUMPABLE 0, which also stops ptrace attaches by non-root processes
// of the same user). False with `error` if the kernel refused.
bool protect_process_keys(std::string& error);

// For a mapping that holds keys (the shared-memory region): left out of core dumps
// (MADV_DONTDUMP) in any process that maps it, and locked in RAM where the memlock limit allows.
// Returns whether it could be locked; `note` says why not.
bool protect_key_mapping(void* base, std::size_t length, std::string& note);

}  // namespace mcsec::crypto
