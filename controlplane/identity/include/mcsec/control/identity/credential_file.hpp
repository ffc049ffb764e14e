// Reads the identity files named in the configuration (CA certificate, node certificate, private
// key, PSK file) whole into memory, with an error message that names the file. Files that hold
// a secret must not be accessible to group or others, like the dataplane's shared-memory region.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mcsec::control::identity {

enum class FileSecrecy : std::uint8_t {
    Public,  // certificates: any mode
    Secret,  // private key, PSK: refused unless mode is 0600 or 0400 (no group/other bits)
};

// File bytes, wiped when destroyed (they may be a private key).
class CredentialFileBytes {
  public:
    CredentialFileBytes() = default;
    ~CredentialFileBytes();
    CredentialFileBytes(const CredentialFileBytes&) = delete;
    CredentialFileBytes& operator=(const CredentialFileBytes&) = delete;
    CredentialFileBytes(CredentialFileBytes&&) = delete;
    CredentialFileBytes& operator=(CredentialFileBytes&&) = delete;

    std::span<const std::uint8_t> view() const noexcept { return bytes_; }
    std::vector<std::uint8_t>& storage() noexcept { return bytes_; }

  private:
    std::vector<std::uint8_t> bytes_;
};

// Larger files are refused: no credential file comes near it.
inline constexpr std::size_t kMaxCredentialFileSize = 1024 * 1024;

// Fills `out` and returns nullopt, or returns "<what> <path>: <problem>" (what: "CA
// certificate", "private key", ...). The mode is checked on the open descriptor, so the file
// checked is the file read.
std::optional<std::string> read_credential_file(const std::filesystem::path& path,
                                                std::string_view what, FileSecrecy secrecy,
                                                CredentialFileBytes& out);

}  // namespace mcsec::control::identity
