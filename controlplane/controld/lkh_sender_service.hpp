// The sender side of LKH key distribution in mcsec-controld (docs/protocol/lkh.md, "In the
// daemon"): on a sender box with a [keying.lkh] table, each protected group whose access list
// has receive-only members gets a key server while this node is the group's MIKE TM. It answers
// REGISTERs (unicast WELCOME to the requester), pushes every new MIKE epoch key (the TEK) to the
// admitted receivers, and turns an operator's revocation into a removal that waits for the next
// TEK (the daemon starts a MIKE rekey when `rekeys` asks for one).
//
// Takeover: a node that becomes a group's TM starts a new tree (a new random tree id) and
// announces it with its first TEK and a State message at once; receivers of the old tree see
// another tree id and register again. Replicating the tree among
// the senders, so a takeover costs receivers nothing, is not built yet (README, "Not there yet").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "lkh_effects.hpp"
#include "mcsec/config/config.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/receiver_registration.hpp"

namespace mcsec::control {

class LkhSenderService {
  public:
    using TimePoint = lkh::TimePoint;

    // `is_receiver`: whether the group's access list makes the node (with the certificate its
    // REGISTER carries) a receive-only member.
    using ReceiverCheck = std::function<bool(const config::Group&, const NodeId&,
                                             std::span<const std::uint8_t> credential)>;

    LkhSenderService(const config::LkhSettings& settings, const MessageAuthenticator& self,
                     ReceiverCheck is_receiver);

    // A protected group this node may send to (and so may become the TM of).
    void add_group(const config::Group& group);
    // Follows the group's TM: serving starts (a new tree) when this node becomes it and stops
    // (the tree's keys wiped) when another node is.
    void follow(const config::Group& group, bool is_tm, TimePoint now, LkhEffects& effects);
    // A new MIKE epoch key of `group` (every sender calls this; the TM pushes it).
    void on_tek(const config::Group& group, std::uint64_t epoch, std::uint32_t spi,
                std::span<const std::uint8_t> key_and_salt, TimePoint now, LkhEffects& effects);
    // An "LR" datagram from `source`: a REGISTER (answered where this node serves the group) or
    // a WELCOME another sender sent (counted and ignored).
    void on_registration(std::span<const std::uint8_t> datagram, const std::string& source,
                         std::chrono::system_clock::time_point wall, TimePoint now,
                         LkhEffects& effects);
    // The operator's revocation, on any sender box: the node may not register again through
    // this box (while it runs), and where this box is the TM it leaves the tree at the end of
    // the batch window, with the next TEK. Says which of the two happened. Throws
    // std::invalid_argument for a group without LKH key distribution.
    std::string revoke(const std::string& group, const NodeId& receiver, TimePoint now);

    void poll(TimePoint now, LkhEffects& effects);
    std::optional<TimePoint> next_due() const;

    // How long the copies of a TEK-only push take on the receivers' link: every sender delays
    // its switch to a new key by at least this (make-before-break over the narrowband hop).
    std::chrono::milliseconds tek_air_time() const noexcept { return tek_air_time_; }

    struct GroupView {
        const config::Group* group = nullptr;
        bool serving = false;  // this node is the TM and runs the key server
        const lkh::KeyDistribution* distribution = nullptr;  // while serving
        std::uint64_t registrations[lkh::kRegistrationVerdictCount] = {};
        std::uint64_t trees_started = 0;
        const std::set<NodeId>* revoked = nullptr;
    };
    std::vector<GroupView> groups() const;

  private:
    struct GroupState {
        const config::Group* group = nullptr;
        std::vector<std::uint8_t> id;
        std::unique_ptr<lkh::KeyDistribution> distribution;  // the desk points into it
        std::unique_ptr<lkh::RegistrationDesk> desk;
        std::optional<std::uint64_t> tek_epoch;  // the newest TEK, for a tree started later
        std::uint32_t tek_spi = 0;
        lkh::WipedBuffer tek;
        bool rekey_asked = false;  // for the removal now pending
        std::set<NodeId> revoked;  // refused at registration
        std::uint64_t registrations[lkh::kRegistrationVerdictCount] = {};
        std::uint64_t trees_started = 0;
    };
    GroupState* find(const std::string& group);
    void start_serving(GroupState& state, TimePoint now, LkhEffects& effects);

    config::LkhSettings settings_;
    const MessageAuthenticator* self_;
    ReceiverCheck is_receiver_;
    std::chrono::milliseconds tek_air_time_{0};
    std::vector<std::unique_ptr<GroupState>> groups_;
};

// The DistributionParams of a group under `settings` (also used for the air-time estimate).
lkh::DistributionParams distribution_params(const config::LkhSettings& settings,
                                            const config::Group& group);

}  // namespace mcsec::control
