// The sender side of LKH key distribution in mcsec-controld (docs/protocol/lkh.md, "In the
// daemon"): on a sender box with a [keying.lkh] table, each protected group whose access list
// has receive-only members gets a key server while this node is the group's MIKE TM. It answers
// REGISTERs (unicast WELCOME to the requester), pushes every new MIKE epoch key (the TEK) to the
// admitted receivers, and turns an operator's revocation into a removal that waits for the next
// TEK (the daemon starts a MIKE rekey when `rekeys` asks for one).
//
// Redundancy (X.509 deployments): the TM replicates its tree to the group's other senders over
// their TLS channel after every change (tree_replica.hpp); a node that becomes the TM continues
// the newest replica it holds (same tree, ids above the old TM's), so nobody registers again and
// a removal the old TM left pending is completed with the next TEK. Without a replica (a PSK
// deployment has no TLS channel, or nothing arrived yet) it starts a new tree with a new random
// id and announces it at once; receivers of the old tree see the other tree id and register again.
//
// Split brain: a TM that receives a replica of its group from another node (a partition healed:
// both sides had a TM) raises SPLIT_BRAIN, takes the other side's revocations (a revocation holds
// wherever it was given) and sends a State at once. The side whose TM stays MIKE's TM after the
// merge keeps its tree; the other stops serving. Message ids follow the wall clock, so what the
// survivor sends is newer than anything either side sent; receivers that followed the other side
// find they cannot open it and register again.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "lkh_effects.hpp"
#include "mcsec/config/config.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/receiver_registration.hpp"
#include "mcsec/control/lkh/tree_replica.hpp"
#include "revocation_file.hpp"

namespace mcsec::control {

// Which state of a key server's tree was last replicated: its last message id and how many
// admissions and revocations it had made.
using TreeVersion = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>;

class LkhSenderService {
  public:
    using TimePoint = lkh::TimePoint;

    // `is_receiver`: whether the group's access list makes the node (with the certificate its
    // REGISTER carries) a receive-only member.
    using ReceiverCheck = std::function<bool(const config::Group&, const NodeId&,
                                             std::span<const std::uint8_t> credential)>;
    // Whether a discovery peer is a sender of the group (may hold its tree).
    using SenderCheck = std::function<bool(const config::Group&, const NodeId&)>;

    // `revocations_file`: where revocations persist (revocation_file.hpp); empty for none.
    // `settle`: how long a new tree answers no REGISTER, so the revocations of every other
    // live sender of the group reach it first (the discovery peer timeout: by then every live
    // sender has been heard and has sent its list).
    LkhSenderService(const config::LkhSettings& settings, const MessageAuthenticator& self,
                     ReceiverCheck is_receiver, SenderCheck is_sender,
                     std::filesystem::path revocations_file, std::chrono::milliseconds settle);
    // Anything wrong with the revocations file at start-up ("" if nothing).
    const std::string& load_warning() const noexcept { return load_warning_; }

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

    // Replication: frames for the group's other senders (that are up), sent over TLS.
    struct Outgoing {
        const config::Group* group = nullptr;
        std::vector<std::vector<std::uint8_t>> frames;
    };
    // A replica of each served group whose tree changed since its last one.
    std::vector<Outgoing> take_replicas(TimePoint now);
    // For a sender that just came up: the replica of each served group and the revocations
    // this node knows, for the groups `peer` is a sender of.
    std::vector<Outgoing> for_new_sender(const NodeId& peer, TimePoint now);
    // The revocations this node knows for `group`, for every other sender of it (after an
    // operator's revocation here); none where there are none.
    std::optional<Outgoing> revocations_of(const std::string& group) const;
    // An LS frame from `peer` (its TLS identity).
    void on_replica_frame(const NodeId& peer, std::span<const std::uint8_t> frame, TimePoint now,
                          LkhEffects& effects);
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
        std::uint64_t trees_continued = 0;  // from a replica
        std::uint64_t deferred = 0;
        const std::set<NodeId>* revoked = nullptr;
        std::optional<NodeId> replica_from;  // whose newest replica this node holds
        std::uint64_t replicas_sent = 0;
        std::uint64_t replicas_received = 0;
        std::uint64_t split_brains = 0;
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
        bool rekey_asked = false;       // for the removal now pending
        TimePoint answer_from{};        // a new tree answers REGISTERs and pushes from then on
        std::uint64_t given_epoch = 0;  // the newest TEK the key server was given
        std::uint64_t deferred = 0;     // REGISTERs left for the receiver to repeat
        std::set<NodeId> revoked;       // refused at registration
        std::uint64_t registrations[lkh::kRegistrationVerdictCount] = {};
        std::uint64_t trees_started = 0;
        std::uint64_t trees_continued = 0;
        std::optional<lkh::TreeReplica> replica;  // the newest from the group's TM
        std::optional<TreeVersion> replicated;    // the tree as last replicated
        std::uint64_t replicas_sent = 0;
        std::uint64_t replicas_received = 0;
        std::uint64_t split_brains = 0;
    };
    GroupState* find(const std::string& group);
    GroupState* find(const std::vector<std::uint8_t>& group_id);
    lkh::DistributionParams params_for(const GroupState& state) const;
    std::vector<std::vector<std::uint8_t>> replica_frames(GroupState& state, TimePoint now);
    std::vector<std::uint8_t> revoked_frame(const GroupState& state) const;
    void take_revocations(GroupState& state, const std::vector<NodeId>& revoked, const NodeId& from,
                          TimePoint now, LkhEffects& effects);
    // Writes every group's revocations to the file; false (and `error`) if it cannot.
    bool persist(std::string& error) const;
    void start_serving(GroupState& state, TimePoint now, LkhEffects& effects);
    // Hands the newest TEK to the key server, once its tree has settled.
    void give_tek(GroupState& state, TimePoint now, LkhEffects& effects);

    config::LkhSettings settings_;
    const MessageAuthenticator* self_;
    ReceiverCheck is_receiver_;
    SenderCheck is_sender_;
    std::chrono::milliseconds tek_air_time_{0};
    std::uint64_t next_serial_;  // replica serials: above any an earlier run of this node sent
    lkh::ReplicaAssembler assembler_;
    std::filesystem::path revocations_file_;
    Revocations loaded_;  // from the file, handed to each group as it is added
    std::string load_warning_;
    std::chrono::milliseconds settle_;
    std::vector<std::unique_ptr<GroupState>> groups_;
};

// The DistributionParams of a group under `settings` (also used for the air-time estimate).
lkh::DistributionParams distribution_params(const config::LkhSettings& settings,
                                            const config::Group& group);

}  // namespace mcsec::control
