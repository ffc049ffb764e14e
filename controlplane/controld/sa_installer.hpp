// Puts agreed group keys into the fast path, make-before-break in the manner of Group IKEv2
// (RFC 9838): a new epoch's SA is published for receiving at once (every member installs it as
// soon as it derives the key), senders switch to it after the activation delay (by then every
// member has it), and the previous SA stays for receiving for the deactivation delay (packets in
// flight) before it is retired. The shared-memory writer does the rest: lock-free publication,
// grace periods, key zeroing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/shm/sa_table.hpp"

namespace mcsec::control {

struct InstallerDelays {
    std::chrono::milliseconds activation{500};
    std::chrono::milliseconds deactivation{2000};
};

// How the installer names a protected group (one SPD entry): "239.1.1.1" for any source,
// "239.1.1.1 from 10.1.0.0/24" for a source prefix.
std::string selector_name(const config::Group& group);

class SaInstaller {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    SaInstaller(const config::ApplianceConfig& config, shm::Region& region, InstallerDelays delays);

    // Becomes the region's SA table writer (refused, with the holder's pid in `error`, while
    // another process holds that role), publishes the policies that need no key (BYPASS,
    // DISCARD) and adopts SAs a previous controld left in the region, so they are retired once
    // their successors are active. Nothing else may be called unless this returned true.
    bool start(std::string& error);

    // A new key for the protected `group`: receivers accept `spi` now, senders switch at
    // now + activation, the SA it replaces goes deactivation later. `sender_id` is this node's
    // RFC 6054 sender ID under the key (unique among the key's holders). A receive-only member
    // (`may_send` false: the group's access list does not list it as a sender) only receives:
    // its policy stays PROTECT without a key, so its red traffic to the group is discarded.
    bool install(const config::Group& group, std::uint32_t spi,
                 const config::SecretBytes& key_and_salt, std::uint16_t sender_id, TimePoint now,
                 std::string& error, bool may_send = true);

    // Carries out the switches and retirements due at `now` and reclaims freed slots.
    void run_due(TimePoint now);
    std::optional<TimePoint> next_due() const;

    struct SaView {
        std::uint32_t spi = 0;
        std::uint32_t slot = 0;
        std::uint16_t sender_id = 0;
        std::optional<TimePoint> installed_at;  // none for an SA adopted from a previous run
        bool retiring = false;                  // its retirement is scheduled
    };
    struct GroupSas {
        std::optional<std::uint32_t> sending_spi;   // what senders use now
        std::vector<std::uint32_t> receiving_spis;  // every SA accepted inbound
        std::vector<SaView> sas;                    // the same, oldest first
    };
    std::map<std::string, GroupSas> snapshot() const;  // by selector_name()

    // Whether the fast path marked the SA senders of `group` use now as past its soft lifetime
    // (bytes, packets or seconds: the dataplane counts them in the SA's runtime block).
    bool sending_sa_soft_expired(const config::Group& group) const;

    // Authentic packets the fast path received on `group`'s SAs with this node's own sender ID
    // (dataplane counter own_sender_id): another appliance sends with the same ID, so both
    // draw AES-GCM nonces from one space. A total over the group's SAs; it only grows.
    std::uint64_t own_sender_id_packets(const std::string& group) const;

  private:
    struct Installed {
        std::uint32_t spi;
        std::uint32_t slot;
        std::uint16_t sender_id;
        std::optional<TimePoint> installed_at;
        bool may_send = true;
    };
    struct GroupState {
        const config::Group* group = nullptr;
        std::optional<Installed> sending;
        std::vector<Installed> receiving;  // newest last
    };
    struct Step {
        enum class Kind { Switch, Retire } kind;
        TimePoint due;
        std::string group;
        Installed sa;
    };

    const config::ApplianceConfig& config_;
    shm::Region& region_;
    std::unique_ptr<shm::SaTableWriter> writer_;  // held from start() on
    InstallerDelays delays_;
    std::map<std::string, GroupState> groups_;  // by selector_name()
    std::vector<Step> steps_;                   // ordered by due time
};

}  // namespace mcsec::control
