#include "mcsec/crypto/key_memory.hpp"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace mcsec::crypto {

bool protect_process_keys(std::string& error) {
    const rlimit no_core{0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
        error = std::string("setrlimit(RLIMIT_CORE, 0): ") + std::strerror(errno);
        return false;
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        error = std::string("prctl(PR_SET_DUMPABLE, 0): ") + std::strerror(errno);
        return false;
    }
    return true;
}

bool protect_key_mapping(void* base, std::size_t length, std::string& note) {
    // Excluded from dumps even in a process that did not call protect_process_keys (a tool).
    madvise(base, length, MADV_DONTDUMP);
    if (mlock(base, length) != 0) {
        note = std::string("mlock: ") + std::strerror(errno) +
               " (raise the memlock limit to keep the keys in the region out of swap)";
        return false;
    }
    return true;
}

}  // namespace mcsec::crypto
