#include "startup_timestamp.hpp"

#include <algorithm>
#include <fstream>

namespace mcsec::control {

std::uint64_t next_startup_timestamp(const std::filesystem::path& state_file,
                                     std::chrono::system_clock::time_point now,
                                     std::string& warning) {
    const auto micros = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
    std::uint64_t last = 0;
    if (std::ifstream in(state_file); in) in >> last;
    const std::uint64_t next = std::max(micros, last + 1);
    std::error_code ec;
    std::filesystem::create_directories(state_file.parent_path(), ec);
    std::ofstream out(state_file, std::ios::trunc);
    out << next << "\n";
    if (!out.flush()) {
        warning = "cannot write " + state_file.string() +
                  ": the startup timestamp may not grow across restarts if the clock steps back";
    }
    return next;
}

}  // namespace mcsec::control
