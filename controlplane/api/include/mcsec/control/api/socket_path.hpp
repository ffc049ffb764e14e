// Where an instance's operator socket lives, so controld and mcsecctl agree without config.
#pragma once

#include <filesystem>
#include <string_view>

namespace mcsec::control::api {

// Created 0700 by the server when missing; systemd's RuntimeDirectory=mcsec gives the same.
inline constexpr std::string_view kDefaultSocketDirectory = "/run/mcsec";

// /run/mcsec/<instance>.sock
std::filesystem::path default_socket_path(std::string_view instance);

}  // namespace mcsec::control::api
