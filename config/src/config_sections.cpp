#include "config_sections.hpp"

#include <algorithm>
#include <limits>

#include "dpdk_device.hpp"
#include "hex.hpp"
#include "toml_table_reader.hpp"

namespace mcsec::config {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::size_t kMaxNameLength = 32;

// Instance, port and policy names appear in shared-memory names, CLI arguments and logs.
std::optional<std::string> read_name(TableReader& table, std::string_view key) {
    auto name = table.string(key, Presence::Required);
    if (!name) return std::nullopt;
    const bool allowed =
        name->size() <= kMaxNameLength && std::all_of(name->begin(), name->end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-';
        });
    if (!allowed) {
        table.error(key, "must be 1 to " + std::to_string(kMaxNameLength) +
                             " characters from A-Z, a-z, 0-9, '_' and '-'");
        return std::nullopt;
    }
    return name;
}

std::optional<IpAddress> read_address(TableReader& table, std::string_view key, Presence presence) {
    const auto text = table.string(key, presence);
    if (!text) return std::nullopt;
    auto address = IpAddress::parse(*text);
    if (!address) {
        table.error(key, quote_for_message(*text) + " is not an IPv4 or IPv6 address");
    }
    return address;
}

std::optional<IpAddress> read_multicast_address(TableReader& table, std::string_view key,
                                                Presence presence) {
    auto address = read_address(table, key, presence);
    if (address && !address->is_multicast()) {
        table.error(key,
                    address->to_string() + " is not a multicast address (224.0.0.0/4 or ff00::/8)");
        return std::nullopt;
    }
    return address;
}

// A traffic selector: a network, so host bits beyond the length are a typo, not a host.
std::optional<Prefix> read_selector(TableReader& table, std::string_view key) {
    const auto text = table.string(key, Presence::Optional);
    if (!text) return std::nullopt;
    std::string why;
    auto prefix = Prefix::parse(*text, &why);
    if (!prefix) {
        table.error(key, why);
        return std::nullopt;
    }
    if (prefix->has_host_bits()) {
        table.error(key, prefix->to_string() + " has host bits set (did you mean " +
                             prefix->network().to_string() + "?)");
        return std::nullopt;
    }
    return prefix;
}

template <typename Unsigned>
std::optional<Unsigned> read_unsigned(TableReader& table, std::string_view key, Presence presence,
                                      Unsigned min, Unsigned max) {
    const auto value = table.integer(key, presence, static_cast<std::int64_t>(min),
                                     static_cast<std::int64_t>(max));
    if (!value) return std::nullopt;
    return static_cast<Unsigned>(*value);
}

void read_instance(TableReader& root, Diagnostics& diagnostics, Instance& instance) {
    const auto* table = root.table("instance", Presence::Required);
    if (table == nullptr) return;
    TableReader reader(*table, root.path_of("instance"), diagnostics);
    if (auto name = read_name(reader, "name")) instance.name = std::move(*name);
    if (const auto id = read_unsigned<std::uint16_t>(reader, "sender_id", Presence::Required, 1,
                                                     std::numeric_limits<std::uint16_t>::max()))
        instance.sender_id = *id;
    if (auto dir = reader.string("state_dir", Presence::Optional)) {
        // Read by daemons started from anywhere: relative would mean "the working directory".
        constexpr std::size_t kMaxStateDirLength = 1024;
        if (dir->front() != '/') {
            reader.error("state_dir", "must be an absolute path (it holds the nonce ledger)");
        } else if (dir->size() > kMaxStateDirLength) {
            reader.error("state_dir",
                         "is longer than " + std::to_string(kMaxStateDirLength) + " characters");
        } else {
            instance.state_dir = std::move(*dir);
        }
    }
    reader.reject_unknown_keys();
}

Port read_port(TableReader& reader) {
    Port port;
    if (auto name = read_name(reader, "name")) port.name = std::move(*name);
    if (const auto role = reader.choice("role", Presence::Required, kPortRoleNames))
        port.role = *role;
    if (auto device = reader.string("device", Presence::Required)) {
        std::string why;
        if (const auto parsed = parse_dpdk_device(*device, why)) {
            port.device_kind = parsed->kind;
            port.device = std::move(*device);
        } else {
            reader.error("device", quote_for_message(*device) + " " + why);
        }
    }
    for (const auto& [text, path] : reader.array_of_strings("addresses", Presence::Optional)) {
        std::string why;
        const auto prefix = Prefix::parse(text, &why);
        if (!prefix) {
            reader.diagnostics().error(path, why);
        } else if (prefix->address().is_multicast() || prefix->address().is_unspecified()) {
            reader.diagnostics().error(path,
                                       prefix->to_string() + " is not a unicast interface address");
        } else {
            port.addresses.push_back(*prefix);
        }
    }
    // 68 is the IPv4 minimum (RFC 791); 9216 the common jumbo-frame limit of NICs.
    if (const auto mtu = read_unsigned<std::uint16_t>(reader, "mtu", Presence::Optional, 68, 9216))
        port.mtu = *mtu;
    // "auto", or a number of queues up to the most lcores there can be (one lcore per queue;
    // the validator checks the configured lcores).
    constexpr std::int64_t kMaxRxQueues = 64;
    if (const auto queues =
            reader.word_or_integer("rx_queues", Presence::Optional, "auto", 1, kMaxRxQueues)) {
        if (*queues) port.rx_queues = static_cast<std::uint16_t>(**queues);
    }
    return port;
}

// "enc-*", "node:enc-*", "ou:Red", "dns:*.red.example": an optional kind prefix, then a glob.
std::optional<AccessPattern> parse_access_pattern(std::string_view text, std::string& why) {
    AccessPattern pattern;
    std::string_view glob = text;
    const auto colon = text.find(':');
    if (colon != std::string_view::npos) {
        const auto kind = text.substr(0, colon);
        glob = text.substr(colon + 1);
        if (kind == "node") {
            pattern.kind = AccessPattern::Kind::NodeId;
        } else if (kind == "ou") {
            pattern.kind = AccessPattern::Kind::Ou;
        } else if (kind == "dns") {
            pattern.kind = AccessPattern::Kind::DnsName;
        } else {
            why = "unknown kind '" + std::string(kind) +
                  "' (expected a node id glob, or node:, ou: or dns: before it)";
            return std::nullopt;
        }
    }
    constexpr std::size_t kMaxGlobLength = 255;
    if (glob.empty() || glob.size() > kMaxGlobLength) {
        why = "the pattern after the kind must be 1 to " + std::to_string(kMaxGlobLength) +
              " characters";
        return std::nullopt;
    }
    if (pattern.kind == AccessPattern::Kind::NodeId) {
        // Node ids are [A-Za-z0-9_-]; anything else could never match and is a typo.
        const bool allowed = std::all_of(glob.begin(), glob.end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-' || c == '*' || c == '?' || c == '[' || c == ']' || c == '!';
        });
        if (!allowed) {
            why =
                "a node id pattern has only A-Z, a-z, 0-9, '_', '-' and the glob characters "
                "'*', '?', '[', ']', '!'";
            return std::nullopt;
        }
    }
    pattern.glob = std::string(glob);
    return pattern;
}

std::vector<AccessPattern> read_access_list(TableReader& reader, std::string_view key) {
    std::vector<AccessPattern> patterns;
    for (const auto& [text, path] : reader.array_of_strings(key, Presence::Optional)) {
        std::string why;
        if (auto pattern = parse_access_pattern(text, why)) {
            patterns.push_back(std::move(*pattern));
        } else {
            reader.diagnostics().error(path, quote_for_message(text) + ": " + why);
        }
    }
    return patterns;
}

void read_group_access(TableReader& reader, Group& group) {
    const bool has_members = reader.contains("members");
    const bool has_senders = reader.contains("senders");
    if (!has_members) {
        if (has_senders) {
            read_access_list(reader, "senders");  // its own mistakes are reported too
            reader.error("senders", "a group with 'senders' needs 'members' (who may join)");
        }
        return;
    }
    GroupAccess access;
    access.members = read_access_list(reader, "members");
    if (has_senders) access.senders = read_access_list(reader, "senders");
    if (access.members.empty() &&
        !reader.diagnostics().has_error_at_or_below(reader.path_of("members"))) {
        reader.error("members", "an empty member list lets nobody join; list who may join");
    }
    group.access = std::move(access);
}

Group read_group(TableReader& reader) {
    Group group;
    if (const auto address = read_multicast_address(reader, "address", Presence::Required))
        group.address = *address;
    group.source = read_selector(reader, "source");
    group.black_group = read_multicast_address(reader, "black_group", Presence::Optional);
    const auto action = reader.choice("action", Presence::Optional, kGroupActionNames);
    if (action) group.action = *action;
    auto policy = reader.string("policy", Presence::Optional);
    if (policy) group.policy = std::move(*policy);
    // Only protected traffic needs a transform. Bypass and discard entries may still name one, so
    // an operator can switch the action back and forth without editing anything else. When the
    // action itself is invalid, its error is enough.
    const bool action_known = action.has_value() || !reader.contains("action");
    if (!policy && !reader.contains("policy") && action_known &&
        group.action == GroupAction::Protect) {
        reader.missing("policy", "a group with action 'protect' needs a policy");
    }
    read_group_access(reader, group);
    return group;
}

void read_lifetime(TableReader& policy, Diagnostics& diagnostics, Lifetime& lifetime) {
    const auto* table = policy.table("lifetime", Presence::Optional);
    if (table == nullptr) return;
    TableReader reader(*table, policy.path_of("lifetime"), diagnostics);
    const auto read_limit = [&reader](std::string_view key, std::uint64_t& limit) {
        if (const auto value = reader.integer(key, Presence::Optional, 0, kInt64Max))
            limit = static_cast<std::uint64_t>(*value);
    };
    read_limit("soft_seconds", lifetime.seconds.soft);
    read_limit("hard_seconds", lifetime.seconds.hard);
    read_limit("soft_bytes", lifetime.bytes.soft);
    read_limit("hard_bytes", lifetime.bytes.hard);
    read_limit("soft_packets", lifetime.packets.soft);
    read_limit("hard_packets", lifetime.packets.hard);
    reader.reject_unknown_keys();
}

Policy read_policy(TableReader& reader, Diagnostics& diagnostics) {
    Policy policy;
    if (auto name = read_name(reader, "name")) policy.name = std::move(*name);
    if (const auto transform = reader.choice("transform", Presence::Required, kTransformNames))
        policy.transform = *transform;
    if (const auto window =
            read_unsigned<std::uint32_t>(reader, "replay_window", Presence::Optional, 64, 4096))
        policy.replay_window = *window;
    if (const auto esn = reader.boolean("esn", Presence::Optional)) policy.esn = *esn;
    if (const auto check = reader.boolean("replay_check", Presence::Optional))
        policy.replay_check = *check;
    read_lifetime(reader, diagnostics, policy.lifetime);
    return policy;
}

void read_identity(TableReader& root, Diagnostics& diagnostics, Identity& identity) {
    const auto* table = root.table("identity", Presence::Required);
    if (table == nullptr) return;
    TableReader reader(*table, root.path_of("identity"), diagnostics);
    const bool has_x509 =
        reader.contains("ca") || reader.contains("certificate") || reader.contains("key");
    const bool has_psk = reader.contains("psk_file");

    if (has_psk && has_x509) {
        reader.error("psk_file",
                     "psk_file cannot be combined with ca, certificate and key: choose one "
                     "identity style");
    } else if (!has_psk && !has_x509) {
        diagnostics.error(reader.path(),
                          "needs either ca, certificate and key (X.509) or psk_file "
                          "(pre-shared key)");
    }
    // Read every key in both cases so each is type-checked and counted as known.
    // With both styles present the "choose one" error says enough; no missing-key noise.
    const auto x509_presence = has_x509 && !has_psk ? Presence::Required : Presence::Optional;
    X509Identity x509;
    if (auto path = reader.string("ca", x509_presence)) x509.ca = std::move(*path);
    if (auto path = reader.string("certificate", x509_presence))
        x509.certificate = std::move(*path);
    if (auto path = reader.string("key", x509_presence)) x509.key = std::move(*path);
    PskIdentity psk;
    if (auto path = reader.string("psk_file", Presence::Optional)) psk.psk_file = std::move(*path);

    if (has_psk && !has_x509) {
        identity.credentials = std::move(psk);
    } else {
        identity.credentials = std::move(x509);
    }
    reader.reject_unknown_keys();
}

void read_discovery(TableReader& root, Diagnostics& diagnostics,
                    std::optional<Discovery>& discovery) {
    const auto* table = root.table("discovery", Presence::Optional);
    if (table == nullptr) return;
    TableReader reader(*table, root.path_of("discovery"), diagnostics);
    Discovery settings;
    if (const auto interval = read_unsigned<std::uint32_t>(reader, "hello_interval_ms",
                                                           Presence::Optional, 100, 60000))
        settings.hello_interval_ms = *interval;
    if (const auto group = read_multicast_address(reader, "group", Presence::Required))
        settings.group = *group;
    if (const auto port = read_unsigned<std::uint16_t>(reader, "port", Presence::Required, 1,
                                                       std::numeric_limits<std::uint16_t>::max()))
        settings.port = *port;
    discovery = settings;
    reader.reject_unknown_keys();
}

// [keying.lkh]: the sender-side keys on a "mike" box, `emcon` on an "lkh" box. Every key is
// read (type and range checked); one of the other side is refused rather than ignored, since it
// would do nothing on this box.
void read_lkh(TableReader& keying_reader, Diagnostics& diagnostics, bool mode_known,
              Keying& keying) {
    const auto* table = keying_reader.table("lkh", Presence::Optional);
    if (table == nullptr) return;
    TableReader reader(*table, keying_reader.path_of("lkh"), diagnostics);
    LkhSettings settings;
    const auto read_u32 = [&reader](std::string_view key, std::uint32_t min, std::uint32_t max,
                                    std::uint32_t& value) {
        if (const auto number =
                read_unsigned<std::uint32_t>(reader, key, Presence::Optional, min, max))
            value = *number;
    };
    read_u32("degree", 2, 8, settings.degree);
    if (settings.degree != 2 && settings.degree != 4 && settings.degree != 8) {
        reader.error("degree", "must be 2, 4 or 8 (found " + std::to_string(settings.degree) + ")");
    }
    read_u32("max_receivers", 1, 1048576, settings.max_receivers);
    read_u32("link_bps", 1200, 4000000000u, settings.link_bps);
    read_u32("copies", 1, 10, settings.copies);
    read_u32("batch_window_ms", 0, 600000, settings.batch_window_ms);
    read_u32("state_interval_ms", 1000, 3600000, settings.state_interval_ms);
    if (const auto admission = reader.string("admission", Presence::Optional)) {
        if (*admission == "renew") {
            settings.renew_on_admission = true;
        } else if (*admission != "hand-over") {
            reader.error("admission",
                         "must be \"hand-over\" or \"renew\" (found \"" + *admission + "\")");
        }
    }
    if (const auto emcon = reader.boolean("emcon", Presence::Optional)) settings.emcon = *emcon;
    reader.reject_unknown_keys();

    if (!mode_known) return;  // the missing or broken mode is reported already
    if (keying.mode == KeyingMode::Manual) {
        keying_reader.error("lkh",
                            "a [keying.lkh] table needs keying.mode \"mike\" (a sender serving "
                            "LKH receivers) or \"lkh\" (a receiver)");
        return;
    }
    constexpr std::array<std::string_view, 7> kSenderKeys{
        "degree",          "max_receivers",     "link_bps", "copies",
        "batch_window_ms", "state_interval_ms", "admission"};
    for (const auto key : kSenderKeys) {
        if (keying.mode == KeyingMode::Lkh && reader.contains(key)) {
            reader.error(key,
                         "applies to sender boxes (keying.mode \"mike\"), not to a "
                         "receiver (\"lkh\")");
        }
    }
    if (keying.mode == KeyingMode::Mike && reader.contains("emcon")) {
        reader.error("emcon",
                     "applies to receiver boxes (keying.mode \"lkh\"), not to a sender "
                     "(\"mike\")");
    }
    keying.lkh = settings;
}

void read_keying(TableReader& root, Diagnostics& diagnostics, Keying& keying) {
    const auto* table = root.table("keying", Presence::Required);
    if (table == nullptr) return;
    TableReader reader(*table, root.path_of("keying"), diagnostics);
    const auto mode = reader.choice("mode", Presence::Required, kKeyingModeNames);
    if (mode) keying.mode = *mode;
    read_lkh(reader, diagnostics, mode.has_value(), keying);
    reader.reject_unknown_keys();
}

ManualSa read_manual_sa(TableReader& reader) {
    ManualSa sa;
    if (const auto group = read_address(reader, "group", Presence::Required)) sa.group = *group;
    sa.source = read_selector(reader, "source");
    if (const auto spi = reader.integer("spi", Presence::Required, kInt64Min, kInt64Max)) {
        // RFC 4303 section 2.1: 0 is local-only and 1..255 are reserved by IANA.
        if (*spi < 256 || *spi > std::numeric_limits<std::uint32_t>::max()) {
            reader.error("spi", "must be between 256 and 4294967295 (found " +
                                    std::to_string(*spi) + "); RFC 4303 reserves 0..255");
        } else {
            sa.spi = static_cast<std::uint32_t>(*spi);
        }
    }
    if (const auto hex = reader.string("key_hex", Presence::Required)) {
        std::string why;
        if (!decode_hex(*hex, sa.key_and_salt, why)) reader.error("key_hex", why);
    }
    return sa;
}

// The CPU ids of the dataplane lcores: 1..64 of them, each 0..1023, no duplicates.
void read_lcores(TableReader& reader, std::vector<std::uint16_t>& lcores) {
    constexpr EntryCount kLcoreCount{.min = 1, .max = 64};
    constexpr std::int64_t kMaxCpuId = 1023;
    std::vector<std::uint16_t> ids;
    std::vector<std::string> first_paths;
    for (const auto& [id, path] :
         reader.array_of_integers("lcores", Presence::Optional, kLcoreCount, 0, kMaxCpuId)) {
        const auto cpu = static_cast<std::uint16_t>(id);
        const auto first = std::find(ids.begin(), ids.end(), cpu);
        if (first != ids.end()) {
            reader.diagnostics().error(
                path, "duplicate lcore " + std::to_string(cpu) + " (first listed at " +
                          first_paths[static_cast<std::size_t>(first - ids.begin())] + ")");
            continue;
        }
        ids.push_back(cpu);
        first_paths.push_back(path);
    }
    // Nothing read: the key is absent (keep the default) or broken (reported; the file does
    // not load).
    if (!ids.empty()) lcores = std::move(ids);
}

void read_dataplane(TableReader& root, Diagnostics& diagnostics, Dataplane& dataplane) {
    const auto* table = root.table("dataplane", Presence::Optional);
    if (table == nullptr) return;
    TableReader reader(*table, root.path_of("dataplane"), diagnostics);
    const auto read_u32 = [&reader](std::string_view key, std::uint32_t min, std::uint32_t max,
                                    std::uint32_t& value) {
        if (const auto number =
                read_unsigned<std::uint32_t>(reader, key, Presence::Optional, min, max))
            value = *number;
    };
    const auto read_bool = [&reader](std::string_view key, bool& value) {
        if (const auto flag = reader.boolean(key, Presence::Optional)) value = *flag;
    };

    read_lcores(reader, dataplane.lcores);
    read_bool("hugepages", dataplane.hugepages);
    read_u32("memory_mb", 16, 65536, dataplane.memory_mb);
    read_u32("mbufs", 1023, 1048575, dataplane.mbufs);
    read_u32("idle_sleep_us", 0, 100000, dataplane.idle_sleep_us);
    read_u32("idle_polls", 1, 1000000, dataplane.idle_polls);
    if (const auto ttl =
            read_unsigned<std::uint8_t>(reader, "outer_ttl", Presence::Optional, 1, 255))
        dataplane.outer_ttl = *ttl;
    read_bool("copy_dscp", dataplane.copy_dscp);
    if (const auto policy = reader.choice("mtu_policy", Presence::Optional, kMtuPolicyNames))
        dataplane.mtu_policy = *policy;
    read_u32("sa_slots", 1, 1048576, dataplane.sa_slots);
    read_u32("max_senders", 1, 4096, dataplane.max_senders);
    if (const auto path = reader.choice("exception_path", Presence::Optional, kExceptionPathNames))
        dataplane.exception_path = *path;
    read_u32("query_interval_s", 0, 3600, dataplane.query_interval_s);
    for (auto& argument : reader.array_of_strings("eal_args", Presence::Optional))
        dataplane.eal_args.push_back(std::move(argument.value));
    reader.reject_unknown_keys();
}

// Reads `[[key]]` entries with `read_entry(reader)` and rejects their unknown keys. An element
// that is not a table (already reported) becomes a default entry, so entry i is always element i
// of the file and the cross-checks' key paths stay right.
template <typename Entry, typename ReadEntry>
std::vector<Entry> read_entries(TableReader& root, Diagnostics& diagnostics, std::string_view key,
                                Presence presence, ReadEntry read_entry) {
    std::vector<Entry> entries;
    for (const auto& [table, path] : root.array_of_tables(key, presence)) {
        if (table == nullptr) {
            entries.emplace_back();
            continue;
        }
        TableReader reader(*table, path, diagnostics);
        entries.push_back(read_entry(reader));
        reader.reject_unknown_keys();
    }
    return entries;
}

}  // namespace

bool read_appliance_config(const toml::table& root, Diagnostics& diagnostics,
                           ApplianceConfig& config) {
    TableReader reader(root, "", diagnostics);
    if (const auto version =
            reader.integer("schema_version", Presence::Required, kInt64Min, kInt64Max)) {
        if (*version != kSchemaVersion) {
            reader.error("schema_version", "unsupported schema version " +
                                               std::to_string(*version) + "; this build reads " +
                                               std::to_string(kSchemaVersion));
            return false;
        }
        config.schema_version = *version;
    }

    read_instance(reader, diagnostics, config.instance);
    config.ports = read_entries<Port>(reader, diagnostics, "ports", Presence::Required, read_port);
    config.groups =
        read_entries<Group>(reader, diagnostics, "groups", Presence::Optional, read_group);
    config.policies = read_entries<Policy>(
        reader, diagnostics, "policies", Presence::Optional,
        [&diagnostics](TableReader& entry) { return read_policy(entry, diagnostics); });
    read_identity(reader, diagnostics, config.identity);
    read_discovery(reader, diagnostics, config.discovery);
    read_keying(reader, diagnostics, config.keying);
    config.manual_sas = read_entries<ManualSa>(reader, diagnostics, "manual_sas",
                                               Presence::Optional, read_manual_sa);
    read_dataplane(reader, diagnostics, config.dataplane);
    reader.reject_unknown_keys();
    return true;
}

}  // namespace mcsec::config
