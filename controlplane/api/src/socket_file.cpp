#include "mcsec/control/api/socket_file.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace mcsec::control::api {

namespace {

std::string describe(const std::filesystem::path& path, int error_number) {
    return path.string() + ": " + std::strerror(error_number);
}

// Closes the probe's descriptor on every path out.
class Descriptor {
  public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const noexcept { return fd_; }

  private:
    int fd_;
};

}  // namespace

bool socket_path_fits(const std::filesystem::path& path) noexcept {
    return !path.empty() && path.native().size() < sizeof(sockaddr_un::sun_path);
}

bool prepare_socket_directory(const std::filesystem::path& directory, std::string& error) {
    if (directory.empty()) return true;  // a relative name in the working directory
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(directory, ec))) {
        if (directory.has_parent_path()) {
            std::filesystem::create_directories(directory.parent_path(), ec);
            if (ec) {
                error = directory.parent_path().string() + ": " + ec.message();
                return false;
            }
        }
        // mkdir's mode is masked by the umask, which can only narrow 0700.
        if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
            error = describe(directory, errno);
            return false;
        }
    }
    // Whoever can write in the directory can replace the socket with their own and receive
    // the operator's commands: it must be ours, a real directory, and writable by us alone.
    struct stat st {};
    if (::lstat(directory.c_str(), &st) != 0) {
        error = describe(directory, errno);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        error = directory.string() + ": exists and is not a directory (symbolic links refused)";
        return false;
    }
    if (st.st_uid != ::geteuid()) {
        error = directory.string() + ": owned by uid " + std::to_string(st.st_uid) +
                ", not by this user (" + std::to_string(::geteuid()) + "): refusing it";
        return false;
    }
    if ((st.st_mode & 022) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        error = directory.string() + ": mode " + mode +
                " lets group or others write in it; it must not (chmod 700 " + directory.string() +
                ")";
        return false;
    }
    return true;
}

std::optional<SocketFileState> probe_socket_file(const std::filesystem::path& path,
                                                 std::string& error) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return SocketFileState::Absent;
        error = describe(path, errno);
        return std::nullopt;
    }
    if (!S_ISSOCK(st.st_mode)) {
        error = path.string() + ": exists and is not a socket; not replacing it";
        return std::nullopt;
    }
    if (!socket_path_fits(path)) {
        error = path.string() + ": path too long for a Unix socket";
        return std::nullopt;
    }
    // Non-blocking, so a live server with a full backlog answers EAGAIN instead of blocking us.
    const Descriptor fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return std::nullopt;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.native().size() + 1);
    // sockaddr_un is layout-compatible with sockaddr by the socket API's design.
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
        return SocketFileState::Live;
    }
    switch (errno) {
        case EAGAIN:
        case EINPROGRESS:
            return SocketFileState::Live;
        case ECONNREFUSED:
            return SocketFileState::Stale;
        case ENOENT:
            return SocketFileState::Absent;  // removed since lstat
        default:
            error = describe(path, errno);
            return std::nullopt;
    }
}

}  // namespace mcsec::control::api
