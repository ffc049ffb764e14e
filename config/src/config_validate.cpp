#include "config_validate.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "dpdk_device.hpp"
#include "source_map.hpp"

namespace mcsec::config {
namespace {

std::string describe_source(const std::optional<Prefix>& source) {
    return source ? "source " + source->to_string() : std::string("any source");
}

class Validator {
  public:
    Validator(const ApplianceConfig& config, Diagnostics& diagnostics)
        : config_(config), diagnostics_(diagnostics) {}

    void run() {
        check_ports();
        check_policies();
        check_groups();
        check_discovery();
        check_manual_sas();
    }

  private:
    // Whether `path` loaded cleanly, i.e. its value can be trusted for cross-checks.
    bool loaded(const std::string& path) const { return !diagnostics_.has_error_at_or_below(path); }

    // For an array read by read_entries: false when the key itself was missing or of the wrong
    // type, so the (empty) vector says nothing about the file.
    bool array_loaded(const std::string& key, std::size_t entries) const {
        return entries > 0 || loaded(key);
    }

    void check_ports() {
        std::map<std::string, std::size_t> port_by_name;
        std::map<std::string, std::size_t> port_by_device;
        bool roles_known = array_loaded("ports", config_.ports.size());
        bool has_red = false;
        bool has_black = false;

        for (std::size_t index = 0; index < config_.ports.size(); ++index) {
            const Port& port = config_.ports[index];
            const auto path = element_path("ports", index);

            if (loaded(path + ".name")) {
                const auto [first, inserted] = port_by_name.emplace(port.name, index);
                if (!inserted) {
                    diagnostics_.error(path + ".name",
                                       "duplicate port name '" + port.name + "' (first used by " +
                                           element_path("ports", first->second) + ")");
                }
            }
            if (loaded(path + ".device")) {
                std::string why;
                if (const auto device = parse_dpdk_device(port.device, why)) {
                    const auto [first, inserted] = port_by_device.emplace(device->identity, index);
                    if (!inserted) {
                        diagnostics_.error(path + ".device",
                                           "device " + device->identity + " is already used by " +
                                               element_path("ports", first->second));
                    }
                }
            }
            // Queue q of a port is polled by lcore q.
            if (port.rx_queues && loaded(path + ".rx_queues") && loaded("dataplane.lcores") &&
                *port.rx_queues > config_.dataplane.lcores.size()) {
                diagnostics_.error(path + ".rx_queues",
                                   "asks for " + std::to_string(*port.rx_queues) +
                                       " rx queues, but dataplane.lcores has " +
                                       std::to_string(config_.dataplane.lcores.size()) +
                                       " (each queue is polled by an lcore of its own)");
            }
            if (!loaded(path + ".role")) {
                roles_known = false;
                continue;
            }
            has_red = has_red || port.role == PortRole::Red;
            has_black = has_black || port.role == PortRole::Black;
            if (port.role == PortRole::Black) {
                if (!loaded(path + ".addresses")) {
                    black_families_known_ = false;
                } else if (port.addresses.empty()) {
                    diagnostics_.error(path + ".addresses",
                                       "a black port needs at least one address (the outer "
                                       "source of its ESP packets and the control plane's)");
                }
                for (const auto& address : port.addresses) black_families_.insert(address.family());
                // The exception TAP is a kernel interface named after the port (IFNAMSIZ).
                constexpr std::size_t kMaxInterfaceName = 15;
                if (config_.dataplane.exception_path == ExceptionPath::Tap &&
                    loaded("dataplane.exception_path") && loaded(path + ".name") &&
                    port.name.size() > kMaxInterfaceName) {
                    diagnostics_.error(path + ".name",
                                       "black port name '" + port.name +
                                           "' also names its kernel TAP interface "
                                           "(dataplane.exception_path = \"tap\"): at most 15 "
                                           "characters");
                }
            }
        }

        // Without any black port, "no port has role 'black'" says it all.
        black_families_known_ = black_families_known_ && roles_known && has_black;
        if (!roles_known) return;
        if (!has_red) diagnostics_.error("ports", "no port has role 'red' (the plaintext side)");
        if (!has_black) {
            diagnostics_.error("ports", "no port has role 'black' (the encrypted side)");
        }
    }

    void check_policies() {
        std::map<std::string, std::size_t> policy_by_name;
        for (std::size_t index = 0; index < config_.policies.size(); ++index) {
            const Policy& policy = config_.policies[index];
            const auto path = element_path("policies", index);
            if (!loaded(path + ".name")) {
                policy_names_known_ = false;
            } else if (const auto [first, inserted] = policy_by_name.emplace(policy.name, index);
                       !inserted) {
                diagnostics_.error(path + ".name",
                                   "duplicate policy name '" + policy.name + "' (first used by " +
                                       element_path("policies", first->second) + ")");
            }
            check_lifetime_limit(path + ".lifetime", "seconds", policy.lifetime.seconds);
            check_lifetime_limit(path + ".lifetime", "bytes", policy.lifetime.bytes);
            check_lifetime_limit(path + ".lifetime", "packets", policy.lifetime.packets);
        }
        policy_names_known_ =
            policy_names_known_ && array_loaded("policies", config_.policies.size());
    }

    void check_lifetime_limit(const std::string& lifetime_path, const std::string& unit,
                              const LifetimeLimit& limit) {
        const auto soft_path = lifetime_path + ".soft_" + unit;
        const auto hard_path = lifetime_path + ".hard_" + unit;
        if (!loaded(soft_path) || !loaded(hard_path)) return;
        // 0 means unlimited, so only two set limits can contradict each other.
        if (limit.soft != 0 && limit.hard != 0 && limit.soft > limit.hard) {
            diagnostics_.error(soft_path, "soft_" + unit + " (" + std::to_string(limit.soft) +
                                              ") must not exceed hard_" + unit + " (" +
                                              std::to_string(limit.hard) + ")");
        }
    }

    void check_groups() {
        std::map<std::pair<IpAddress, std::optional<Prefix>>, std::size_t> group_by_selector;
        for (std::size_t index = 0; index < config_.groups.size(); ++index) {
            const Group& group = config_.groups[index];
            const auto path = element_path("groups", index);
            const bool address_loaded = loaded(path + ".address");
            const bool source_loaded = loaded(path + ".source");
            if (!address_loaded || !source_loaded) {
                group_selectors_known_ = false;
                continue;
            }
            const auto family = std::string(to_string(group.address.family()));

            if (group.source && group.source->family() != group.address.family()) {
                diagnostics_.error(path + ".source",
                                   "source " + group.source->to_string() + " is " +
                                       std::string(to_string(group.source->family())) +
                                       " but address " + group.address.to_string() + " is " +
                                       family);
            }
            if (group.black_group && loaded(path + ".black_group") &&
                group.black_group->family() != group.address.family()) {
                diagnostics_.error(path + ".black_group",
                                   "black_group " + group.black_group->to_string() + " is " +
                                       std::string(to_string(group.black_group->family())) +
                                       " but address " + group.address.to_string() + " is " +
                                       family + " (both must be the same family)");
            }

            // RFC 4301 4.4.1: one entry per selector. A /0 is "any source".
            const auto selector = source_selector(group.source);
            const auto [first, inserted] =
                group_by_selector.emplace(std::pair{group.address, selector}, index);
            if (!inserted) {
                diagnostics_.error(
                    group.source ? path + ".source" : path + ".address",
                    "duplicate group " + group.address.to_string() + " with " +
                        (group.source && !selector ? describe_source(group.source) + " (any source)"
                                                   : describe_source(selector)) +
                        " (first defined by " + element_path("groups", first->second) + ")");
            }

            if (!group.policy.empty() && loaded(path + ".policy") && policy_names_known_ &&
                config_.find_policy(group.policy) == nullptr) {
                diagnostics_.error(path + ".policy",
                                   "no policy named '" + group.policy + "' in [[policies]]");
            }

            check_group_access(group, path);

            if (group.action == GroupAction::Protect && loaded(path + ".action")) {
                const auto outer = group.black_group.value_or(group.address);
                const auto outer_path =
                    group.black_group ? path + ".black_group" : path + ".address";
                require_black_address(outer.family(), outer_path,
                                      "to send this group's ESP packets from");
            }
        }
        group_selectors_known_ =
            group_selectors_known_ && array_loaded("groups", config_.groups.size());
    }

    // The access list is enforced by MIKE keying: with other actions or modes it would be a
    // promise nothing keeps. Certificate attributes need certificates. One group address is one
    // MIKE group, so its entries (one per source selector) must agree on who may join.
    void check_group_access(const Group& group, const std::string& path) {
        if (!group.access) return;
        const auto members_path = path + ".members";
        if (group.action != GroupAction::Protect && loaded(path + ".action")) {
            diagnostics_.error(members_path,
                               "an access list applies to protected groups only "
                               "(this group's action is '" +
                                   std::string(to_string(group.action)) + "')");
            return;
        }
        if (loaded("keying.mode") && loaded("keying") &&
            config_.keying.mode == KeyingMode::Manual) {
            diagnostics_.error(members_path,
                               "an access list needs keying.mode \"mike\": with manual keys "
                               "every holder of the key file is a member");
            return;
        }
        const bool x509 = std::holds_alternative<X509Identity>(config_.identity.credentials);
        const auto check_kinds = [&](const std::vector<AccessPattern>& patterns,
                                     const std::string& key_path) {
            for (std::size_t i = 0; i < patterns.size(); ++i) {
                if (patterns[i].kind != AccessPattern::Kind::NodeId && !x509 &&
                    loaded("identity")) {
                    diagnostics_.error(element_path(key_path, i),
                                       "certificate attributes (ou:, dns:) need an [identity] "
                                       "with x509 certificates; a PSK identity has none");
                }
            }
        };
        check_kinds(group.access->members, members_path);
        if (group.access->senders) check_kinds(*group.access->senders, path + ".senders");
        const auto [first, inserted] = access_by_address_.emplace(group.address, &group);
        if (!inserted && first->second->access != group.access) {
            diagnostics_.error(members_path,
                               "group " + group.address.to_string() +
                                   " has another access list in an earlier entry: one address is "
                                   "one keyed group, so its entries must list the same members "
                                   "and senders");
        }
    }

    void require_black_address(AddressFamily family, const std::string& path,
                               const std::string& purpose) {
        if (!black_families_known_ || !loaded(path) || black_families_.contains(family)) return;
        diagnostics_.error(
            path, "no black port has an " + std::string(to_string(family)) + " address " + purpose);
    }

    void check_discovery() {
        const bool mode_loaded = loaded("keying.mode") && loaded("keying");
        if (config_.discovery) {
            require_black_address(config_.discovery->group.family(), "discovery.group",
                                  "to send discovery hellos from");
        } else if (mode_loaded && config_.keying.mode != KeyingMode::Manual &&
                   loaded("discovery")) {
            diagnostics_.error("keying.mode", "keying mode '" +
                                                  std::string(to_string(config_.keying.mode)) +
                                                  "' needs a [discovery] table to find its peers");
        }
    }

    void check_manual_sas() {
        const bool mode_loaded = loaded("keying.mode") && loaded("keying");
        const bool manual = config_.keying.mode == KeyingMode::Manual;
        const bool sas_known = array_loaded("manual_sas", config_.manual_sas.size());
        if (mode_loaded && manual && config_.manual_sas.empty() && sas_known) {
            diagnostics_.error("keying.mode",
                               "keying mode 'manual' needs at least one [[manual_sas]] entry");
        }
        if (mode_loaded && !manual && !config_.manual_sas.empty()) {
            diagnostics_.error("manual_sas",
                               "manual_sas are only used when keying.mode is "
                               "'manual' (it is '" +
                                   std::string(to_string(config_.keying.mode)) + "')");
        }

        std::map<std::uint32_t, std::size_t> sa_by_spi;
        std::set<std::pair<IpAddress, std::optional<Prefix>>> keyed_selectors;
        bool sa_selectors_known = sas_known;
        for (std::size_t index = 0; index < config_.manual_sas.size(); ++index) {
            const ManualSa& sa = config_.manual_sas[index];
            const auto path = element_path("manual_sas", index);

            if (loaded(path + ".spi")) {
                const auto [first, inserted] = sa_by_spi.emplace(sa.spi, index);
                if (!inserted) {
                    diagnostics_.error(path + ".spi",
                                       "SPI " + std::to_string(sa.spi) + " is already used by " +
                                           element_path("manual_sas", first->second));
                }
            }

            check_distinct_key(index);

            if (!loaded(path + ".group") || !loaded(path + ".source")) {
                sa_selectors_known = false;
                continue;
            }
            keyed_selectors.emplace(sa.group, source_selector(sa.source));
            if (!group_selectors_known_) continue;
            const Group* group = config_.find_group(sa.group, sa.source);
            if (group == nullptr) {
                diagnostics_.error(path + ".group", "no group " + sa.group.to_string() + " with " +
                                                        describe_source(sa.source) +
                                                        " in [[groups]]");
                continue;
            }
            check_key_length(sa, *group, path + ".key_hex");
        }

        // With manual keying nothing else will ever key a protected group: traffic to it would
        // be discarded without a word.
        if (!mode_loaded || !manual || !sa_selectors_known || config_.manual_sas.empty()) return;
        for (std::size_t index = 0; index < config_.groups.size(); ++index) {
            const Group& group = config_.groups[index];
            const auto path = element_path("groups", index);
            if (group.action != GroupAction::Protect || !loaded(path)) continue;
            if (!keyed_selectors.contains({group.address, source_selector(group.source)})) {
                diagnostics_.error(path + ".address",
                                   "group " + group.address.to_string() + " with " +
                                       describe_source(group.source) +
                                       " is protected but has no entry in [[manual_sas]]");
            }
        }
    }

    // AES-GCM's nonce is salt || IV, and the IV is this appliance's sender ID || sequence
    // number: two SAs with the same key and salt would each count from 1 and repeat every
    // (key, nonce) pair, whatever their SPIs.
    void check_distinct_key(std::size_t index) {
        const ManualSa& sa = config_.manual_sas[index];
        const auto path = element_path("manual_sas", index);
        if (!loaded(path + ".key_hex") || sa.key_and_salt.size() == 0) return;
        for (std::size_t earlier = 0; earlier < index; ++earlier) {
            const ManualSa& other = config_.manual_sas[earlier];
            if (!loaded(element_path("manual_sas", earlier) + ".key_hex")) continue;
            if (other.key_and_salt.equals(sa.key_and_salt.view())) {
                diagnostics_.error(path + ".key_hex",
                                   "same key and salt as " + element_path("manual_sas", earlier) +
                                       ": two SAs would share one AES-GCM nonce space (every "
                                       "manual SA needs its own key)");
                return;
            }
        }
    }

    void check_key_length(const ManualSa& sa, const Group& group, const std::string& key_path) {
        const Policy* policy = config_.find_policy(group.policy);
        if (policy == nullptr || !loaded(key_path)) return;
        const auto policy_index = static_cast<std::size_t>(policy - config_.policies.data());
        if (!loaded(element_path("policies", policy_index) + ".transform")) return;
        const auto key_bytes = aes_key_bytes(policy->transform);
        const auto expected = key_bytes + kGcmSaltBytes;
        if (sa.key_and_salt.size() == expected) return;
        diagnostics_.error(key_path, "is " + std::to_string(sa.key_and_salt.size()) +
                                         " bytes but policy '" + policy->name + "' (" +
                                         std::string(to_string(policy->transform)) + ") needs " +
                                         std::to_string(expected) + " (a " +
                                         std::to_string(key_bytes) + "-byte key and a " +
                                         std::to_string(kGcmSaltBytes) + "-byte salt)");
    }

    std::map<IpAddress, const Group*> access_by_address_;
    const ApplianceConfig& config_;
    Diagnostics& diagnostics_;
    // Facts gathered by earlier checks for later ones; false when errors make them unreliable.
    std::set<AddressFamily> black_families_;
    bool black_families_known_ = true;
    bool policy_names_known_ = true;
    bool group_selectors_known_ = true;
};

}  // namespace

void validate_config(const ApplianceConfig& config, Diagnostics& diagnostics) {
    Validator(config, diagnostics).run();
}

}  // namespace mcsec::config
