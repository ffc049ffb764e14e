#include "revocation_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace mcsec::control {

Revocations load_revocations(const std::filesystem::path& file, std::string& warning) {
    Revocations out;
    std::ifstream in(file);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::istringstream words(line);
        std::string group, node, extra;
        if (!(words >> group >> node) || (words >> extra)) {
            if (!line.empty()) {
                warning += file.string() + ":" + std::to_string(number) +
                           ": not \"GROUP NODE\", skipped; ";
            }
            continue;
        }
        out[group].insert(node);
    }
    return out;
}

bool save_revocations(const std::filesystem::path& file, const Revocations& revocations,
                      std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    const std::filesystem::path temporary = file.string() + ".new";
    std::string text;
    for (const auto& [group, nodes] : revocations) {
        for (const auto& node : nodes) text += group + " " + node + "\n";
    }
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    if (ok) {
        ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
             ::fsync(fd) == 0;
        ok = ::close(fd) == 0 && ok;
    }
    if (ok) ok = std::rename(temporary.c_str(), file.c_str()) == 0;
    if (!ok) error = "cannot write " + file.string() + ": the revocation holds only until restart";
    return ok;
}

}  // namespace mcsec::control
