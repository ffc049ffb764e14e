#pragma once

// The configuration of one mcsec appliance, schema version 1 (docs/config.md is the reference).
// Plain values only: no TOML types leak out of the loader, so controld, mcsecctl and the tests
// can build, copy around and inspect a configuration without the parser.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/config/secret_bytes.hpp"

namespace mcsec::config {

// The only schema version this build reads.
inline constexpr std::int64_t kSchemaVersion = 1;

struct Instance {
    // Names the shared-memory region (/dev/shm/mcsec.<name>) and the appliance in logs:
    // 1..32 characters from [A-Za-z0-9_-].
    std::string name;
    // RFC 6054 sender ID, unique among the appliances that share a group key; it keeps every
    // sender's AES-GCM IVs disjoint. 1..65535.
    std::uint16_t sender_id = 0;
    // Persistent state that must survive reboots (unlike /dev/shm): the dataplane's nonce
    // ledger (<state_dir>/<name>/) and controld's startup timestamp. An absolute path.
    std::filesystem::path state_dir = kDefaultStateDir;
    static constexpr const char* kDefaultStateDir = "/var/lib/mcsec";
};

enum class PortRole : std::uint8_t { Red, Black };

// How DPDK is told about the device: PCI devices go on the allow list (-a), virtual ones are
// created with --vdev.
enum class DeviceKind : std::uint8_t { Pci, Vdev };

struct Port {
    std::string name;
    PortRole role = PortRole::Red;
    // DPDK device string: a PCI address ("0000:03:00.0", optionally ",devargs") or a vdev
    // ("net_af_packet0,iface=vr1,framecnt=4096").
    std::string device;
    DeviceKind device_kind = DeviceKind::Pci;
    // Interface addresses with their subnet; a black port has at least one (the outer source
    // address of ESP packets and the control plane's address).
    std::vector<Prefix> addresses;
    std::uint16_t mtu = 1500;
    // Receive queues, queue q polled by lcore q. nullopt ("auto"): one per lcore where the
    // device hashes IP addresses over its queues (RSS), else one. A number: exactly that many,
    // for devices that spread flows over queues themselves (net_af_packet with qpairs=N uses the
    // kernel's PACKET_FANOUT by flow hash; net_tap's queues are filled by the kernel's flow hash).
    std::optional<std::uint16_t> rx_queues;
};

enum class GroupAction : std::uint8_t { Protect, Bypass, Discard };

// One entry of a group's access list (the group policy database, docs/config.md "Group access").
// A node matches when the entry's glob (fnmatch(3): '*', '?', '[...]') matches:
//   NodeId   - its instance name (with X.509 also its certificate's subject CN)
//   Ou       - an organizationalUnitName of its certificate's subject (X.509 only)
//   DnsName  - a dNSName of its certificate's subjectAltName (X.509 only)
struct AccessPattern {
    enum class Kind : std::uint8_t { NodeId, Ou, DnsName };
    Kind kind = Kind::NodeId;
    std::string glob;

    friend bool operator==(const AccessPattern&, const AccessPattern&) = default;
};

// Who may hold a protected group's keys and who may send under them. Absent (no `members` key):
// every authenticated appliance of the deployment may join, as without a policy database.
// Present: default deny, only nodes matching `members` join; of those, only nodes matching
// `senders` get a sender ID and an outbound SA (absent `senders`: every member sends), the
// others are receive-only.
struct GroupAccess {
    std::vector<AccessPattern> members;
    std::optional<std::vector<AccessPattern>> senders;

    friend bool operator==(const GroupAccess&, const GroupAccess&) = default;
};

// One SPD entry: red multicast to `address` (from `source`, if given) is handled by `action`.
struct Group {
    IpAddress address;
    // Selector on the inner source; absent means any source.
    std::optional<Prefix> source;
    // Outer destination on the black network; absent means the red group itself (RFC 5374
    // address preservation).
    std::optional<IpAddress> black_group;
    // Name of a Policy; always set when action is Protect.
    std::string policy;
    GroupAction action = GroupAction::Protect;
    // Protected groups keyed by MIKE only; nullopt: open to every authenticated appliance.
    std::optional<GroupAccess> access;
};

enum class Transform : std::uint8_t { AesGcm128, AesGcm256 };

// Bytes of the AES key itself (16 or 32).
std::size_t aes_key_bytes(Transform transform) noexcept;
// RFC 4106: the 4-byte salt follows the key in keying material.
inline constexpr std::size_t kGcmSaltBytes = 4;

// One lifetime dimension. 0 means unlimited; when both are set, soft <= hard.
struct LifetimeLimit {
    std::uint64_t soft = 0;  // ask for a rekey
    std::uint64_t hard = 0;  // stop using the SA
};

struct Lifetime {
    LifetimeLimit seconds;
    LifetimeLimit bytes;
    LifetimeLimit packets;
};

struct Policy {
    std::string name;
    Transform transform = Transform::AesGcm256;
    std::uint32_t replay_window = 1024;  // packets, 64..4096
    bool esn = true;                     // 64-bit extended sequence numbers
    Lifetime lifetime;
    // Anti-replay check on inbound SAs. false is UNSAFE: it accepts replayed packets and exists
    // only for benchmark harnesses that replay a capture.
    bool replay_check = true;
};

struct X509Identity {
    std::filesystem::path ca;
    std::filesystem::path certificate;
    std::filesystem::path key;
};

struct PskIdentity {
    std::filesystem::path psk_file;
};

// How this appliance proves who it is to its peers: exactly one of the two styles.
// load_config_file() resolves relative paths against the configuration file's directory.
struct Identity {
    std::variant<X509Identity, PskIdentity> credentials;
};

struct Discovery {
    std::uint32_t hello_interval_ms = 1000;  // 100..60000
    IpAddress group;                         // multicast, on the black network
    std::uint16_t port = 0;                  // UDP, 1..65535
};

enum class KeyingMode : std::uint8_t { Manual, Mike, Lkh };

// The [keying.lkh] table (docs/protocol/lkh.md). On a sender box (keying.mode "mike") its
// presence turns on LKH key distribution: each group's TM admits the group's receive-only
// members (by its access list) that register, and pushes them every new group key. On a
// receiver box (keying.mode "lkh") it says how the box follows its groups' keys.
struct LkhSettings {
    // Sender side.
    std::uint32_t degree = 4;                 // tree degree: 2, 4 or 8
    std::uint32_t max_receivers = 10000;      // leaves per group tree, 1..1048576
    std::uint32_t link_bps = 9600;            // the narrowest receiver link, bits/s
    std::uint32_t copies = 3;                 // identical copies of every push, 1..10
    std::uint32_t batch_window_ms = 1000;     // removals within it cost one rekey, 0..600000
    std::uint32_t state_interval_ms = 60000;  // catch-up State at least this often
    bool renew_on_admission = false;          // admission = "renew" (else "hand-over")
    // Receiver side: under emission control the box never transmits after registering; when it
    // falls too far behind it raises KEYS_BEHIND and waits for the operator (mcsecctl register).
    bool emcon = false;
};

struct Keying {
    KeyingMode mode = KeyingMode::Manual;
    std::optional<LkhSettings> lkh;
};

// A statically keyed SA (keying.mode = "manual"). It belongs to the Group with the same address
// and source.
struct ManualSa {
    IpAddress group;
    std::optional<Prefix> source;
    std::uint32_t spi = 0;  // >= 256 (RFC 4303 reserves 1..255), unique
    // AES key followed by the 4-byte GCM salt: 20 bytes for aes-gcm-128, 36 for aes-gcm-256.
    SecretBytes key_and_salt;
};

// What the dataplane does with a red packet that no longer fits the black MTU once encrypted.
enum class MtuPolicy : std::uint8_t {
    Icmp,      // drop it and send ICMP fragmentation-needed / packet-too-big to the red source
    Fragment,  // fragment the outer packet after encryption
};

// Where the packets the dataplane does not handle itself go: ARP/ND, black-side IGMP/MLD and
// traffic for the appliance's own addresses.
enum class ExceptionPath : std::uint8_t {
    Tap,   // to a kernel TAP interface
    None,  // nowhere: they are dropped
};

// Settings of the DPDK dataplane process: the [dataplane] table, every key optional.
struct Dataplane {
    // CPU ids the lcores run on: 1..64 distinct ids, each 0..1023.
    std::vector<std::uint16_t> lcores{0};
    // false: run the EAL with --no-huge (slower; for machines without hugepages).
    bool hugepages = true;
    std::uint32_t memory_mb = 256;  // EAL memory, 16..65536
    std::uint32_t mbufs = 8191;     // mempool size per socket, 1023..1048575
    // Microseconds an lcore sleeps after idle_polls empty polls in a row, so several appliances
    // can share a small machine; 0..100000, 0 = busy poll.
    std::uint32_t idle_sleep_us = 0;
    std::uint32_t idle_polls = 64;  // 1..1000000
    std::uint8_t outer_ttl = 64;    // TTL / hop limit of outer ESP packets, 1..255
    // RFC 4301 DSCP copy from the inner to the outer header. ECN is always copied (RFC 6040).
    bool copy_dscp = true;
    MtuPolicy mtu_policy = MtuPolicy::Icmp;
    std::uint32_t sa_slots = 1024;   // shared-memory SA table capacity, 1..1048576
    std::uint32_t max_senders = 16;  // RFC 6054 senders per group SA (own replay window), 1..4096
    ExceptionPath exception_path = ExceptionPath::Tap;
    // IGMP/MLD querier on the red ports (RFC 3376/3810 Query Interval): general queries every
    // this many seconds, and a snooped membership lapses when unreported for 2 intervals + the
    // response time. 0..3600, 0 = no querier (memberships last until the host leaves).
    std::uint32_t query_interval_s = 125;
    // Extra EAL arguments, appended verbatim (for experts): only checked to be non-empty strings
    // without control characters.
    std::vector<std::string> eal_args;
};

struct ApplianceConfig {
    std::int64_t schema_version = kSchemaVersion;
    Instance instance;
    std::vector<Port> ports;
    std::vector<Group> groups;
    std::vector<Policy> policies;
    Identity identity;
    // Required for mike and lkh keying; optional with manual keying.
    std::optional<Discovery> discovery;
    Keying keying;
    std::vector<ManualSa> manual_sas;
    // Defaults when the file has no [dataplane] table.
    Dataplane dataplane;

    // nullptr when there is no policy (or group) of that name (or address and source; a /0
    // source is the same as none).
    const Policy* find_policy(std::string_view name) const noexcept;
    const Group* find_group(const IpAddress& address,
                            const std::optional<Prefix>& source) const noexcept;
};

// A group's source as an SPD selector: nullopt for any source (none given, or a /0), else the
// prefix with its host bits cleared. Two groups with the same address and selector are one SPD
// entry (the loader refuses the second).
std::optional<Prefix> source_selector(const std::optional<Prefix>& source) noexcept;

// The names used in the TOML file ("red", "aes-gcm-256", "mike", ...).
std::string_view to_string(PortRole role) noexcept;
std::string_view to_string(DeviceKind kind) noexcept;
std::string_view to_string(GroupAction action) noexcept;
std::string_view to_string(Transform transform) noexcept;
std::string_view to_string(KeyingMode mode) noexcept;
std::string_view to_string(MtuPolicy policy) noexcept;
std::string_view to_string(ExceptionPath path) noexcept;

}  // namespace mcsec::config
