// libFuzzer target for the config loader: arbitrary bytes must never crash it, throw out of it,
// or make it accept a configuration that breaks the rules the rest of mcsec relies on.
//
//   build:  cmake -DMCSEC_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang ...
//   run:    fuzz_config_loader -dict=tests/fuzz/fuzz_config_loader.dict tests/fuzz/corpus-work \
//                              tests/fuzz/corpus/config

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "mcsec/config/loader.hpp"

namespace {

using namespace mcsec::config;

// Stops the run (libFuzzer records the input) when an accepted config violates an invariant.
void require(bool condition) {
    if (!condition) std::abort();
}

void check_accepted_config(const ApplianceConfig& config) {
    require(config.schema_version == kSchemaVersion);
    require(config.instance.sender_id != 0);
    bool has_red = false;
    bool has_black = false;
    for (const auto& port : config.ports) {
        has_red = has_red || port.role == PortRole::Red;
        has_black = has_black || port.role == PortRole::Black;
        require(port.mtu >= 68 && port.mtu <= 9216);
    }
    require(has_red && has_black);
    for (const auto& group : config.groups) {
        require(group.address.is_multicast());
        require(!group.black_group || group.black_group->family() == group.address.family());
        require(group.action != GroupAction::Protect || config.find_policy(group.policy));
    }
    std::set<std::uint32_t> spis;
    for (const auto& sa : config.manual_sas) {
        require(sa.spi >= 256);
        require(spis.insert(sa.spi).second);
        const auto* group = config.find_group(sa.group, sa.source);
        require(group != nullptr);
        const auto* policy = config.find_policy(group->policy);
        require(policy != nullptr);
        require(sa.key_and_salt.size() == aes_key_bytes(policy->transform) + kGcmSaltBytes);
    }
    require(config.keying.mode != KeyingMode::Manual || !config.manual_sas.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = load_config_string(text, "fuzz.toml");
    if (result.ok()) {
        check_accepted_config(result.config());
    } else {
        require(!result.errors().empty());
        for (const auto& error : result.errors()) require(!error.to_string().empty());
    }
    return 0;
}
