// mcsec-controld's core: discovery (IDP) on the black network, group keying, and publishing
// agreed keys to the fast path. Single-threaded on one Boost.Asio io_context: datagrams are
// handled as they arrive, and one timer is always armed at the earliest deadline any protocol
// machine or the SA installer has, so nothing waits on a polling interval.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon_alarm_log.hpp"
#include "datagram_admission.hpp"
#include "discovery_socket.hpp"
#include "lkh_effects.hpp"
#include "lkh_receiver_service.hpp"
#include "lkh_sender_service.hpp"
#include "mcsec/config/config.hpp"
#include "mcsec/control/access/group_access.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/certificate_attributes.hpp"
#include "mcsec/control/identity/x509_credentials.hpp"
#include "mcsec/control/idp/hello_sender.hpp"
#include "mcsec/control/idp/peer_table.hpp"
#include "mcsec/control/idp/prefix_exchange.hpp"
#include "mcsec/control/mike/protocol/group_keying.hpp"
#include "mcsec/shm/region.hpp"
#include "registration_service.hpp"
#include "sa_installer.hpp"
#include "tls_peer_channel.hpp"

namespace mcsec::control {

struct DaemonOptions {
    // Where the startup timestamp persists: the config's instance.state_dir unless
    // --state-dir overrides it.
    std::filesystem::path state_dir = config::Instance::kDefaultStateDir;
    // Protocol only: no shared-memory region, keys are agreed and reported but not installed.
    bool no_dataplane = false;
    // The X.509 credentials for the TLS prefix channel; null with a PSK identity, which has no
    // certificates: then red prefixes are not exchanged (said at start-up and by the API).
    std::shared_ptr<const identity::X509Credentials> tls_credentials;
};

class Daemon {
  public:
    struct GroupEngine {
        const config::Group* group;
        mike::GroupKeying keying;
        std::optional<idp::TimePoint> keyed_at;  // when the current key was installed
        std::optional<std::uint32_t> spi;        // the current key's SPI
        std::uint64_t expiry_handled_epoch = 0;  // soft lifetime acted on for this epoch
        std::map<std::uint32_t, std::uint64_t> epoch_of_spi;  // the newest few, for the API
        std::uint64_t own_sender_id_packets = 0;  // fast path's count, as last alarmed on
    };

    Daemon(boost::asio::io_context& io, const config::ApplianceConfig& config,
           const MessageAuthenticator& authenticator, DaemonOptions options);
    ~Daemon();

    // Attaches to the region, opens the black socket, sends the first hello. False with
    // `error` saying what is missing.
    bool start(std::string& error);
    // Graceful stop: the keying engines' farewell (a TM hands over, a member asks to leave).
    void stop();

    // What the operator API shows.
    const idp::PeerTable& peers() const { return peer_table_; }
    const config::ApplianceConfig& config() const { return config_; }
    const std::vector<GroupEngine>& groups() const { return engines_; }
    const DaemonAlarmLog& alarms() const { return alarms_; }
    const DatagramAdmission& admission() const { return admission_; }
    const MessageAuthenticator& authenticator() const { return authenticator_; }
    bool attached() const { return installer_ != nullptr; }
    const SaInstaller* installer() const { return installer_.get(); }
    const RegistrationService* registration() const { return registration_.get(); }
    // LKH: the key servers of a sender box with [keying.lkh], the registrations of a receiver
    // box (keying.mode "lkh"); null where the box has none.
    const LkhSenderService* lkh_sender() const { return lkh_sender_.get(); }
    const LkhReceiverService* lkh_receiver() const { return lkh_receiver_.get(); }
    // The operator's LKH requests (see LkhSenderService::revoke, LkhReceiverService::
    // register_again); std::invalid_argument / std::logic_error for what cannot be done here.
    std::string revoke_receiver(const std::string& group, const NodeId& node);
    void register_again(const std::string& group);
    // Null with a PSK identity (no TLS channel).
    const idp::PrefixExchange* prefix_exchange() const { return prefix_exchange_.get(); }
    const TlsPeerChannel* prefix_channel() const { return prefix_channel_.get(); }
    std::uint64_t unknown_datagrams() const { return unknown_datagrams_; }
    std::uint64_t unroutable_datagrams() const { return unroutable_datagrams_; }
    // Group access (the group policy database): `node`'s role in `group` by this node's config
    // and what discovery verified of the node (its certificate's attributes).
    access::Role role_in(const config::Group& group, const NodeId& node) const;
    // The same for a node that is not a discovery peer (an LKH receiver, or a sender heard by
    // one), from the credential its message carries.
    access::Role role_with(const config::Group& group, const NodeId& node,
                           std::span<const std::uint8_t> credential) const;
    // Discovery events withheld from a group's keying: the peer announced the group but its
    // access list does not admit it (each also raises ACCESS_VIOLATION).
    std::uint64_t refused_announcements() const { return refused_announcements_; }
    std::uint64_t send_failures() const { return socket_ ? socket_->send_failures() : 0; }
    std::size_t socket_receive_buffer_bytes() const {
        return socket_ ? socket_->receive_buffer_bytes() : 0;
    }
    idp::TimePoint started_at() const { return started_at_; }
    // Starts a rekey of `group` (all protected groups if empty) where this node is the TM;
    // returns the groups started. Throws std::invalid_argument for an unknown group and
    // std::logic_error where another node is the TM (only it can start one).
    std::vector<std::string> rekey(const std::optional<std::string>& group);

  private:
    bool start_keying(std::uint64_t startup, std::string& error);
    // keying.mode "lkh": each protected group is received through LKH registration.
    bool start_lkh_receiving(std::string& error);
    // Sends, logs, alarms and installs what the LKH services asked for.
    void apply(LkhEffects& effects, idp::TimePoint now);
    // LKH redundancy over the TLS channel (X.509 only): `frames` to every sender of `group`
    // that is up and announces it; the replicas of trees that changed.
    void send_to_senders(const config::Group& group, std::vector<std::vector<std::uint8_t>> frames);
    void send_lkh_replicas(idp::TimePoint now);
    // `arrived`: when the kernel received it (hellos are judged as of then).
    void on_datagram(std::span<const std::uint8_t> datagram, const std::string& source,
                     idp::TimePoint arrived);
    void on_idp_events(const std::vector<idp::IdpEvent>& events);
    // What one discovery event means for one group's keying: the event itself for a peer that
    // announces the group and is a member, else a LEAVE (it is not live for this group).
    idp::IdpEvent event_for_group(const GroupEngine& engine, const idp::IdpEvent& event);
    access::NodeFacts facts_of(const NodeId& node) const;
    // Whether this node is the transaction manager of any group it keys.
    bool is_tm() const;
    // Sends what the engines have to say and installs the keys they agreed.
    void drain_keying(idp::TimePoint now);
    // Multicasts a keying datagram; an ACK goes by unicast to the group's TM (only it reads ACKs).
    void send_keying(const GroupEngine& engine, std::span<const std::uint8_t> datagram);
    void install(GroupEngine& engine, const mike::EpochKey& key, idp::TimePoint now);
    void run_due();
    void arm_timer();
    void raise_alarm(std::string kind, std::string group, std::uint32_t spi, std::string detail,
                     std::string peer = {}, std::string origin = "local");
    // Registration follows each engine's elected TM; then carries out what it asked for.
    void follow_tms(idp::TimePoint now);
    void apply(RegistrationEffects& effects, idp::TimePoint now);
    GroupEngine* engine_for(const config::IpAddress& group);
    bool start_prefix_exchange(const config::Port& black, const config::IpAddress& address,
                               std::uint64_t startup, std::string& error);
    void on_prefix_message(const NodeId& tls_peer, std::span<const std::uint8_t> bytes);
    void on_prefix_channel_refusal(const TlsRefusal& refusal);
    void send_prefix_messages(std::vector<idp::OutgoingMessage> messages);
    // Soft lifetimes: the TM rekeys a group whose key is older than the policy's soft seconds
    // or whose sending SA the fast path marked soft-expired (bytes, packets).
    void check_lifetimes(idp::TimePoint now);
    void check_sender_id_conflicts(idp::TimePoint now);

    boost::asio::io_context& io_;
    const config::ApplianceConfig& config_;
    const MessageAuthenticator& authenticator_;
    DaemonOptions options_;
    boost::asio::steady_timer timer_;
    std::unique_ptr<shm::Region> region_;
    std::unique_ptr<SaInstaller> installer_;
    std::unique_ptr<DiscoverySocket> socket_;
    std::unique_ptr<idp::HelloSender> hello_sender_;
    std::unique_ptr<RegistrationService> registration_;
    std::unique_ptr<idp::PrefixExchange> prefix_exchange_;
    std::unique_ptr<TlsPeerChannel> prefix_channel_;
    std::unique_ptr<LkhSenderService> lkh_sender_;
    std::unique_ptr<LkhReceiverService> lkh_receiver_;
    idp::PeerTable peer_table_;
    DatagramAdmission admission_;       // after peer_table_, which it consults
    std::vector<GroupEngine> engines_;  // one per protected group
    std::uint64_t unknown_datagrams_ = 0;
    std::uint64_t unroutable_datagrams_ = 0;  // registration datagrams to a peer not up
    std::uint64_t refused_announcements_ = 0;
    // Peers' certificate attributes, read once per run of the peer from its verified hello.
    struct KnownCertificate {
        std::uint64_t startup_timestamp = 0;
        bool read = false;  // attributes holds what this run's credential gave (none: a PSK)
        std::optional<identity::CertificateAttributes> attributes;
    };
    mutable std::map<NodeId, KnownCertificate> certificates_;
    std::optional<identity::CertificateAttributes> own_certificate_;
    DaemonAlarmLog alarms_;
    idp::TimePoint started_at_ = idp::Clock::now();
};

}  // namespace mcsec::control
