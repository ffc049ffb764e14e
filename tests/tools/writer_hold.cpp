// mcsec-writer-hold: holds an instance's SA table writer role until its stdin closes, so the
// integration tests can show a second writer (mcsecctl sa, a second controld, the dataplane's
// manual keying) being refused while another process is the writer.
//
//   mcsec-writer-hold --instance NAME
//
// Prints "holding pid N" once it is the writer; exits 1 with the refusal if it cannot be.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "mcsec/shm/region.hpp"
#include "mcsec/shm/sa_table.hpp"

int main(int argc, char** argv) {
    using namespace mcsec;
    if (argc != 3 || std::string(argv[1]) != "--instance") {
        std::fprintf(stderr, "usage: mcsec-writer-hold --instance NAME\n");
        return 2;
    }
    std::string error;
    auto region = shm::Region::attach(argv[2], error);
    auto writer = region ? shm::SaTableWriter::acquire(*region, error) : nullptr;
    if (!writer) {
        std::fprintf(stderr, "mcsec-writer-hold: %s\n", error.c_str());
        return 1;
    }
    std::printf("holding pid %d\n", static_cast<int>(getpid()));
    std::fflush(stdout);
    char buffer[64];
    while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
    }
    return 0;
}
