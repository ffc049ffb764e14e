#include "mcsec/control/api/socket_path.hpp"

#include <string>

namespace mcsec::control::api {

std::filesystem::path default_socket_path(std::string_view instance) {
    // Instance names are [A-Za-z0-9_-]{1,32} (config validation), so this stays one component.
    return std::filesystem::path(kDefaultSocketDirectory) / (std::string(instance) + ".sock");
}

}  // namespace mcsec::control::api
