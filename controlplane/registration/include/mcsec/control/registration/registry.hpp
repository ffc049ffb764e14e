// The TM side of registration (docs/protocol/registration.md, "TM state machine"): for each group
// this node is the transaction manager of, accept REGISTERs and DELETEs from members, keep who is
// registered until when, answer ACKs, hand out the group's SPIs, and log alarms.
//
// Transport-free like the member side: the daemon passes datagrams and times in and sends what
// the Outbox names.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/registration/alarm_sender.hpp"
#include "mcsec/control/registration/diagnostics.hpp"
#include "mcsec/control/registration/message_signer.hpp"
#include "mcsec/control/registration/outbox.hpp"
#include "mcsec/control/registration/replay_guard.hpp"
#include "mcsec/control/registration/spi_allocator.hpp"

namespace mcsec::control::registration {

struct RegistryConfig {
    // The longest registration granted; a member asking for more gets this.
    std::uint32_t max_lifetime_s = 300;
    // Registrations over all served groups; a new member beyond it is refused (TableFull).
    std::size_t max_members = 4096;
    std::size_t max_replay_streams = ReplayGuard::kDefaultMaxStreams;
    idp::Duration alarm_holdoff{10000};
    std::size_t alarm_log_capacity = AlarmLog::kDefaultCapacity;
};

// Epochs of one group whose SPIs stay reserved (current, previous, and one being retired): the
// fast path keeps the previous SA for the deactivation delay after a switch.
inline constexpr std::size_t kMaxEpochsInFlight = 3;

struct MemberStatus {
    NodeId node;
    idp::TimePoint registered_since{};
    idp::TimePoint expires{};
};

class Registry {
  public:
    // `spi_start`: where the SPI cursor begins; the daemon draws it at random (see
    // SpiAllocator). Throws std::invalid_argument for a zero or oversized max_lifetime_s.
    Registry(const MessageAuthenticator& authenticator, std::uint64_t initial_timestamp,
             std::uint32_t spi_start, RegistryConfig config = {});

    // This node became `group`'s TM. `sa_lifetime` is the policy's hard lifetime of an epoch's
    // SA: an epoch older than that without a successor raises SA_EXPIRED (zero: not watched).
    void serve_group(const config::IpAddress& group, idp::Duration sa_lifetime);
    // No longer TM: forgets the members and releases the group's SPIs.
    void stop_serving(const config::IpAddress& group);
    bool serves(const config::IpAddress& group) const;
    // The group policy database (access::role_in through the daemon): whether `node` may be a
    // member of `group`. Unset: every authenticated node may. A REGISTER or DELETE from a node
    // it refuses is dropped before its signature is checked.
    void set_admission(std::function<bool(const config::IpAddress&, const NodeId&)> admits) {
        admits_ = std::move(admits);
    }

    // A new epoch of a served group: its SPI, unique among every group and in-flight epoch this
    // registry serves. The oldest epoch beyond kMaxEpochsInFlight is released. Throws
    // std::invalid_argument if the group is not served or `epoch` is not above the current one,
    // std::runtime_error if no SPI is free.
    std::uint32_t begin_epoch(const config::IpAddress& group, std::uint64_t epoch,
                              idp::TimePoint now);
    // The same for an epoch whose SPI keying chose (MIKE derives it from the tree): reserves it
    // in the allocator shared by all served groups. False, and nothing changes, when another
    // group or in-flight epoch holds that SPI: the TM must rekey onto another one (seed 001:
    // no two groups of a key server share an SPI). Throws as begin_epoch above.
    bool begin_epoch_with_spi(const config::IpAddress& group, std::uint64_t epoch,
                              std::uint32_t spi, idp::TimePoint now);
    // The epoch's SA is gone from every dataplane: its SPI may be reused (after a full cycle).
    void retire_epoch(const config::IpAddress& group, std::uint64_t epoch);

    Verdict on_datagram(std::span<const std::uint8_t> datagram, std::string_view source,
                        idp::TimePoint now, idp::WallTime wall_now, Outbox& out);
    // Member expiries and overdue rekeys at `now`.
    void on_timer(idp::TimePoint now, Outbox& out);
    std::optional<idp::TimePoint> next_due() const;

    std::vector<MemberStatus> members(const config::IpAddress& group) const;
    // The current epoch of `group` and its SPI, if one began.
    std::optional<std::pair<std::uint64_t, std::uint32_t>> current_epoch(
        const config::IpAddress& group) const;
    const SpiAllocator& spis() const noexcept { return spis_; }
    const Counters& counters() const noexcept { return diagnostics_.counters(); }
    const AlarmLog& alarms() const noexcept { return diagnostics_.alarms(); }
    AlarmLog& alarms() noexcept { return diagnostics_.alarms(); }

  private:
    struct Member {
        idp::TimePoint registered_since{};
        idp::TimePoint expires{};
    };
    struct ServedGroup {
        idp::Duration sa_lifetime{};
        std::map<NodeId, Member> members;
        // Epochs holding an SPI, oldest first; the last is current.
        std::vector<std::uint64_t> epochs;
        idp::TimePoint current_since{};
        bool overdue_reported = false;
    };
    // The answer to the newest request of a member about a group, for its retransmitted copies.
    struct CachedAnswer {
        std::vector<std::uint8_t> request;
        std::vector<std::uint8_t> ack;
        idp::TimePoint stored{};
    };
    using MemberKey = std::tuple<NodeId, config::IpAddress>;

    std::function<bool(const config::IpAddress&, const NodeId&)> admits_;

    ServedGroup& served_for_new_epoch(const config::IpAddress& group, std::uint64_t epoch);
    void record_epoch(ServedGroup& served, const config::IpAddress& group, std::uint64_t epoch,
                      idp::TimePoint now);
    Verdict on_request(const ParsedMessage& parsed, std::span<const std::uint8_t> datagram,
                       ServedGroup& served, idp::TimePoint now, Outbox& out);
    Verdict on_alarm(const ParsedMessage& parsed, ServedGroup& served, idp::TimePoint now,
                     Outbox& out);
    void report_tm_conflict(const Message& message, const NodeId& other_tm, idp::TimePoint now,
                            Outbox& out);
    void acknowledge(const Message& request, std::span<const std::uint8_t> datagram,
                     const ServedGroup& served, std::uint32_t granted_s, idp::TimePoint now,
                     Outbox& out);
    std::size_t member_count() const noexcept;

    RegistryConfig config_;
    MessageSigner signer_;
    AlarmSender alarm_sender_;
    Diagnostics diagnostics_;
    ReplayGuard replay_;
    SpiAllocator spis_;
    std::map<config::IpAddress, ServedGroup> groups_;
    std::map<MemberKey, CachedAnswer> answers_;
};

}  // namespace mcsec::control::registration
