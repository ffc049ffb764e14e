#include "region_access.hpp"

#include <iostream>

#include "mcsec/config/loader.hpp"

namespace mcsec::ctl {

std::optional<config::ApplianceConfig> load_config(const Args& args, bool required) {
    if (!args.has("config")) {
        if (required) std::cerr << "mcsecctl: this command needs --config FILE\n";
        return std::nullopt;
    }
    auto loaded = config::load_config_file(args.get("config"));
    if (!loaded.ok()) {
        std::cerr << loaded.errors_to_string();
        return std::nullopt;
    }
    return std::move(loaded).config();
}

std::unique_ptr<shm::Region> attach_region(const Args& args) {
    std::string instance = args.get("instance");
    if (instance.empty()) {
        auto cfg = load_config(args, false);
        if (cfg) instance = cfg->instance.name;
    }
    if (instance.empty()) {
        std::cerr << "mcsecctl: give --instance NAME or --config FILE\n";
        return nullptr;
    }
    std::string error;
    auto region = shm::Region::attach(instance, error);
    if (!region) std::cerr << "mcsecctl: " << error << "\n";
    return region;
}

}  // namespace mcsec::ctl
