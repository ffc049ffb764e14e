// The filesystem side of the operator socket, apart from the Asio code: making its directory,
// telling a live server's socket from one a crashed daemon left behind, binding with a
// restrictive mode. Internal to OperatorServer; a header so unit tests can probe states.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace mcsec::control::api {

enum class SocketFileState {
    Absent,  // nothing at the path
    Stale,   // a socket nobody listens on: left by a daemon that did not stop cleanly
    Live,    // a server accepts connections on it
};

// Longest path a sockaddr_un holds (107 characters on Linux, plus the terminating NUL).
bool socket_path_fits(const std::filesystem::path& path) noexcept;

// Creates `directory` with mode 0700 if it does not exist (parents with the default mode). An
// existing directory is left as it is: systemd's RuntimeDirectory= or the admin owns it then.
bool prepare_socket_directory(const std::filesystem::path& directory, std::string& error);

// What is at `path`. nullopt with `error` when something other than a socket is there (never
// replaced: it is not ours) or the probe itself fails (e.g. permission denied).
std::optional<SocketFileState> probe_socket_file(const std::filesystem::path& path,
                                                 std::string& error);

}  // namespace mcsec::control::api
