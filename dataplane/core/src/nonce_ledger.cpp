#include "mcsec/dataplane/nonce_ledger.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace mcsec::dataplane {

namespace {

// Domain separation: the fingerprint can never collide with another use of SHA-256 over keys.
constexpr std::string_view kFingerprintLabel = "mcsec nonce space v1";
constexpr std::string_view kFileHeader = "mcsec-nonce-ledger 1\n";
constexpr std::string_view kLockName = "nonce.lock";

std::string errno_text(int e) {
    return std::strerror(e);
}

std::string file_name(const NonceSpaceId& id) {
    return "nonce-" + to_hex(id);
}

// Creates every missing component of `dir` with mode 0700 (existing ones are left alone).
bool make_directories(const std::filesystem::path& dir, std::string& error) {
    std::filesystem::path partial;
    for (const auto& part : dir) {
        partial /= part;
        if (partial == partial.root_path()) continue;
        if (mkdir(partial.c_str(), 0700) == 0) {
            if (chmod(partial.c_str(), 0700) != 0) {  // umask must not narrow or widen it
                error = "cannot set mode 0700 on " + partial.string() + ": " + errno_text(errno);
                return false;
            }
        } else if (errno != EEXIST) {
            error = "cannot create " + partial.string() + ": " + errno_text(errno);
            return false;
        }
    }
    return true;
}

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

}  // namespace

NonceSpaceId nonce_space_id(std::span<const uint8_t> key, std::span<const uint8_t, 4> salt,
                            uint16_t sender_id) {
    NonceSpaceId id{};
    const uint8_t lengths[2] = {static_cast<uint8_t>(key.size()),
                                static_cast<uint8_t>(kFingerprintLabel.size())};
    const uint8_t sender[2] = {static_cast<uint8_t>(sender_id >> 8),
                               static_cast<uint8_t>(sender_id)};
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned int length = 0;
    const bool ok =
        ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
        EVP_DigestUpdate(ctx, &lengths[1], 1) == 1 &&
        EVP_DigestUpdate(ctx, kFingerprintLabel.data(), kFingerprintLabel.size()) == 1 &&
        EVP_DigestUpdate(ctx, &lengths[0], 1) == 1 &&
        EVP_DigestUpdate(ctx, key.data(), key.size()) == 1 &&
        EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
        EVP_DigestUpdate(ctx, sender, sizeof sender) == 1 &&
        EVP_DigestFinal_ex(ctx, id.data(), &length) == 1 && length == id.size();
    EVP_MD_CTX_free(ctx);
    if (!ok) std::abort();  // SHA-256 does not fail; a fingerprint of zeros would merge spaces
    return id;
}

std::string to_hex(const NonceSpaceId& id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(id.size() * 2);
    for (const uint8_t b : id) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 15]);
    }
    return out;
}

std::unique_ptr<NonceLedger> NonceLedger::open(const std::filesystem::path& state_dir,
                                               std::string_view instance, std::string& error) {
    if (!state_dir.is_absolute()) {
        error = "state directory " + state_dir.string() + " is not an absolute path";
        return nullptr;
    }
    if (instance.empty() || instance.find('/') != std::string_view::npos || instance == "." ||
        instance == "..") {
        error = "bad instance name for the nonce ledger";
        return nullptr;
    }
    const std::filesystem::path dir = state_dir / std::string(instance);
    if (!make_directories(dir, error)) return nullptr;
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0) {
        error = "cannot open " + dir.string() + ": " + errno_text(errno);
        return nullptr;
    }
    struct stat st {};
    if (fstat(dir_fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        error = dir.string() +
                " must be a directory owned by this user with mode 0700 (it holds "
                "the nonce ledger)";
        close(dir_fd);
        return nullptr;
    }
    // Creating the lock file is also the first proof that the directory is writable.
    const int lock_fd =
        openat(dir_fd, kLockName.data(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lock_fd < 0) {
        error = "cannot write in " + dir.string() + ": " + errno_text(errno);
        close(dir_fd);
        return nullptr;
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        error = dir.string() + " is in use by another process (" +
                (errno == EWOULDBLOCK ? std::string("another mcsec-dataplane of instance ") +
                                            std::string(instance) + "?"
                                      : errno_text(errno)) +
                ")";
        close(lock_fd);
        close(dir_fd);
        return nullptr;
    }
    if (fsync(dir_fd) != 0) {
        error = "cannot sync " + dir.string() + ": " + errno_text(errno);
        close(lock_fd);
        close(dir_fd);
        return nullptr;
    }
    return std::unique_ptr<NonceLedger>(new NonceLedger(dir, dir_fd, lock_fd));
}

NonceLedger::~NonceLedger() {
    close(lock_fd_);
    close(dir_fd_);
}

std::optional<uint64_t> NonceLedger::mark(const NonceSpaceId& id, std::string& error) {
    if (const auto it = marks_.find(id); it != marks_.end()) return it->second;
    const std::string name = file_name(id);
    const int fd = openat(dir_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            marks_[id] = 0;
            return 0;
        }
        error = "cannot read " + (directory_ / name).string() + ": " + errno_text(errno);
        return std::nullopt;
    }
    char buffer[128];
    size_t used = 0;
    while (used < sizeof buffer) {
        const ssize_t n = read(fd, buffer + used, sizeof buffer - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += static_cast<size_t>(n);
    }
    close(fd);
    const std::string_view text(buffer, used);
    uint64_t value = 0;
    bool ok = text.starts_with(kFileHeader) && text.ends_with('\n');
    if (ok) {
        const std::string_view number =
            text.substr(kFileHeader.size(), used - kFileHeader.size() - 1);
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
        ok = ec == std::errc{} && end == number.data() + number.size() && !number.empty();
    }
    if (!ok) {
        // Never guess a mark: a wrong one could hand out numbers already used.
        error = (directory_ / name).string() + " is not a nonce ledger file (corrupt?)";
        return std::nullopt;
    }
    marks_[id] = value;
    return value;
}

bool NonceLedger::raise(const NonceSpaceId& id, uint64_t limit, std::string& error) {
    const auto current = mark(id, error);
    if (!current) return false;
    if (limit <= *current) return true;
    const std::string name = file_name(id);
    const std::string temporary = name + ".tmp";
    const std::string text = std::string(kFileHeader) + std::to_string(limit) + "\n";
    const int fd = openat(dir_fd_, temporary.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    auto failed = [&](const std::string& what) {
        error = what + " " + (directory_ / temporary).string() + ": " + errno_text(errno);
        return false;
    };
    if (fd < 0) return failed("cannot create");
    if (fchmod(fd, 0600) != 0 || !write_all(fd, text) || fsync(fd) != 0) {
        const int e = errno;
        close(fd);
        unlinkat(dir_fd_, temporary.c_str(), 0);
        errno = e;
        return failed("cannot write");
    }
    if (close(fd) != 0) return failed("cannot write");
    if (renameat(dir_fd_, temporary.c_str(), dir_fd_, name.c_str()) != 0) {
        return failed("cannot rename");
    }
    if (fsync(dir_fd_) != 0) {
        error = "cannot sync " + directory_.string() + ": " + errno_text(errno);
        return false;
    }
    marks_[id] = limit;
    return true;
}

}  // namespace mcsec::dataplane
