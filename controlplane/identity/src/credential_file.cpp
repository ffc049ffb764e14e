#include "mcsec/control/identity/credential_file.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mcsec::control::identity {
namespace {

// Closes the descriptor on every exit path.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const noexcept { return fd_; }

  private:
    int fd_;
};

std::string octal_mode(mode_t mode) {
    std::array<char, 8> text{};
    std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
    return text.data();
}

}  // namespace

CredentialFileBytes::~CredentialFileBytes() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::optional<std::string> read_credential_file(const std::filesystem::path& path,
                                                std::string_view what, FileSecrecy secrecy,
                                                CredentialFileBytes& out) {
    const std::string prefix = std::string(what) + " " + path.string() + ": ";
    if (path.empty()) return std::string(what) + ": no file given";

    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (file.get() < 0) return prefix + "cannot open: " + std::strerror(errno);

    struct stat info {};
    if (::fstat(file.get(), &info) != 0) return prefix + "cannot stat: " + std::strerror(errno);
    if (!S_ISREG(info.st_mode)) return prefix + "not a regular file";
    if (secrecy == FileSecrecy::Secret && (info.st_mode & 077) != 0) {
        return prefix + "mode " + octal_mode(info.st_mode) +
               " lets group or others access a secret; it must be 0600 or 0400 (chmod 600 " +
               path.string() + ")";
    }
    if (static_cast<std::uintmax_t>(info.st_size) > kMaxCredentialFileSize) {
        return prefix + "larger than " + std::to_string(kMaxCredentialFileSize) + " bytes";
    }

    // Reserve once, so growing never leaves an unwiped copy of a key behind; a file that grows
    // while being read is refused rather than reallocated.
    const auto expected_size = static_cast<std::size_t>(info.st_size);
    auto& bytes = out.storage();
    bytes.reserve(expected_size);
    std::array<std::uint8_t, 4096> chunk{};
    for (;;) {
        const ssize_t got = ::read(file.get(), chunk.data(), chunk.size());
        if (got < 0) {
            if (errno == EINTR) continue;
            OPENSSL_cleanse(chunk.data(), chunk.size());
            return prefix + "cannot read: " + std::strerror(errno);
        }
        if (got == 0) break;
        if (bytes.size() + static_cast<std::size_t>(got) > expected_size) {
            OPENSSL_cleanse(chunk.data(), chunk.size());
            return prefix + "changed while being read";
        }
        bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + got);
    }
    OPENSSL_cleanse(chunk.data(), chunk.size());
    if (bytes.empty()) return prefix + "file is empty";
    return std::nullopt;
}

}  // namespace mcsec::control::identity
