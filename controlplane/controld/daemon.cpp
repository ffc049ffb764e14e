#include "daemon.hpp"

#include "mcsec/esp/lifetime.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "key_check_value.hpp"
#include "mcsec/control/idp/idp_event.hpp"
#include "mcsec/control/mike/protocol/epoch_key.hpp"
#include "mcsec/control/registration/wire_format.hpp"
#include "mcsec/shm/keying/region_geometry.hpp"
#include "startup_timestamp.hpp"

namespace mcsec::control {

namespace {

// Bounds the read-ahead before an expiry, so a flood faster than this node reads cannot hold
// the timers off for long (about 10,000 datagrams: tens of milliseconds).
constexpr std::size_t kMaxDrainedBeforeExpiry = 10000;

// For log lines that tests and operators correlate across appliances on one clock.
double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const config::Port* black_port(const config::ApplianceConfig& config) {
    for (const auto& port : config.ports) {
        if (port.role == config::PortRole::Black) return &port;
    }
    return nullptr;
}

std::optional<config::IpAddress> black_address(const config::Port& port,
                                               config::AddressFamily family) {
    for (const auto& prefix : port.addresses) {
        if (prefix.family() == family) return prefix.address();
    }
    return std::nullopt;
}

}  // namespace

Daemon::Daemon(boost::asio::io_context& io, const config::ApplianceConfig& config,
               const MessageAuthenticator& authenticator, DaemonOptions options)
    : io_(io),
      config_(config),
      authenticator_(authenticator),
      options_(std::move(options)),
      timer_(io),
      peer_table_(authenticator,
                  idp::Duration(config.discovery ? config.discovery->hello_interval_ms : 1000)),
      admission_(config.instance.name, AdmissionLimits{}, idp::Clock::now()) {}

Daemon::~Daemon() = default;

bool Daemon::start(std::string& error) {
    if (!config_.discovery) {
        error = "the config has no [discovery] table (needed with keying.mode mike or lkh)";
        return false;
    }
    const auto& discovery = *config_.discovery;
    const config::Port* black = black_port(config_);
    const auto address = black ? black_address(*black, discovery.group.family()) : std::nullopt;
    if (!address) {
        error = "no black port address of the discovery group's family";
        return false;
    }
    const bool receiver_box = config_.keying.mode == config::KeyingMode::Lkh;
    if (!receiver_box && config_.keying.lkh) {
        lkh_sender_ = std::make_unique<LkhSenderService>(
            *config_.keying.lkh, authenticator_,
            [this](const config::Group& group, const NodeId& node,
                   std::span<const std::uint8_t> credential) {
                return role_with(group, node, credential) == access::Role::Receiver;
            },
            [this](const config::Group& group, const NodeId& node) {
                return role_in(group, node) == access::Role::Sender;
            },
            options_.state_dir / (config_.instance.name + ".lkh-revoked"),
            idp::dead_interval(idp::Duration(config_.discovery->hello_interval_ms)));
        if (!lkh_sender_->load_warning().empty()) {
            std::fprintf(stderr, "mcsec-controld: warning: %s\n",
                         lkh_sender_->load_warning().c_str());
        }
        for (const auto& group : config_.groups) {
            // Only a group whose access list names its senders has receive-only members.
            if (group.action == config::GroupAction::Protect && group.access &&
                group.access->senders &&
                role_in(group, config_.instance.name) == access::Role::Sender) {
                lkh_sender_->add_group(group);
            }
        }
        if (!options_.tls_credentials) {
            std::printf(
                "mcsec-controld: LKH key trees are not replicated among the senders: the "
                "identity is a PSK and replication runs over TLS with certificates; a new TM "
                "starts a new tree and receivers register again\n");
        }
    }
    if (!options_.no_dataplane) {
        bool created = false;
        region_ = shm::Region::attach_or_create(config_.instance.name,
                                                shm::region_geometry(config_), created, error);
        if (!region_) return false;
        const idp::Duration hello(config_.discovery->hello_interval_ms);
        InstallerDelays delays{mike::activation_delay(hello), mike::deactivation_delay(hello)};
        if (lkh_sender_) {
            // Make-before-break over the receivers' narrowband link: senders switch to a new
            // key only after the TM's copies of its push have had time to cross it.
            delays.activation += lkh_sender_->tek_air_time();
            std::printf(
                "mcsec-controld: LKH receivers: senders switch keys %lld ms after "
                "install (%lld ms of push air time at %u bit/s)\n",
                static_cast<long long>(delays.activation.count()),
                static_cast<long long>(lkh_sender_->tek_air_time().count()),
                config_.keying.lkh->link_bps);
        }
        installer_ = std::make_unique<SaInstaller>(config_, *region_, delays);
        if (!installer_->start(error)) return false;
    }
    try {
        socket_ = std::make_unique<DiscoverySocket>(
            io_, black->name, discovery.group, discovery.port,
            [this](std::span<const std::uint8_t> datagram, const std::string& source,
                   idp::TimePoint arrived) { on_datagram(datagram, source, arrived); });
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
    std::string warning;
    const auto startup =
        next_startup_timestamp(options_.state_dir / (config_.instance.name + ".startup"),
                               std::chrono::system_clock::now(), warning);
    if (!warning.empty()) std::fprintf(stderr, "mcsec-controld: warning: %s\n", warning.c_str());
    own_certificate_ = identity::certificate_attributes(authenticator_.credential());
    if (receiver_box) return start_lkh_receiving(error);
    if (!start_keying(startup, error)) return false;
    // Hellos announce the groups this node serves: keying elects each group's TM among the
    // nodes that announce it (and that its access list admits).
    std::vector<std::string> served;
    for (const auto& engine : engines_) served.push_back(engine.group->address.to_string());
    try {
        hello_sender_ = std::make_unique<idp::HelloSender>(
            authenticator_, *address, startup, idp::Duration(discovery.hello_interval_ms),
            idp::Clock::now(), std::move(served));
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
    if (!start_prefix_exchange(*black, *address, startup, error)) return false;
    // Registration timestamps start above every one an earlier run sent: the startup timestamp
    // (microseconds) grows across restarts, and 4096 messages per microsecond between two
    // starts is far more than a run sends.
    std::uint32_t spi_start = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&spi_start), sizeof spi_start);
    registration::ClientConfig client_config;
    client_config.retransmit_interval = idp::Duration(discovery.hello_interval_ms);
    registration_ = std::make_unique<RegistrationService>(authenticator_, startup * 4096, spi_start,
                                                          client_config);
    registration_->set_admission([this](const config::IpAddress& group, const NodeId& node) {
        for (const auto& engine : engines_) {
            if (engine.group->address == group) {
                return access::is_member(role_in(*engine.group, node));
            }
        }
        return false;
    });
    std::printf("mcsec-controld: instance %s discovering on %s (%s port %u), startup %lu\n",
                config_.instance.name.c_str(), black->name.c_str(),
                discovery.group.to_string().c_str(), discovery.port,
                static_cast<unsigned long>(startup));
    std::fflush(stdout);
    run_due();
    return true;
}

bool Daemon::start_keying(std::uint64_t startup, std::string& error) {
    const auto now = idp::Clock::now();
    engines_.reserve(config_.groups.size());
    for (const auto& group : config_.groups) {
        if (group.action != config::GroupAction::Protect) continue;
        const config::Policy* policy = config_.find_policy(group.policy);
        const std::string id = group.address.to_string();
        mike::GroupKeying::Params params;
        params.self = config_.instance.name;
        params.startup_timestamp = startup;
        params.group_id.assign(id.begin(), id.end());
        params.transform = policy ? policy->transform : config::Transform::AesGcm256;
        params.hello_interval = idp::Duration(config_.discovery->hello_interval_ms);
        params.role_of = [this, &group](const NodeId& node) { return role_in(group, node); };
        const access::Role own_role = role_in(group, config_.instance.name);
        if (!access::is_member(own_role)) {
            error = "group " + id + ": its access list (members) does not admit this node, " +
                    config_.instance.name + " (" + std::string(access::to_string(own_role)) +
                    "): remove the group or add the node";
            return false;
        }
        if (own_role == access::Role::Receiver) {
            std::printf(
                "mcsec-controld: group %s: receive-only here (not in its senders): red "
                "traffic to it is discarded\n",
                id.c_str());
        }
        auto keying = mike::GroupKeying::create(std::move(params), authenticator_, now);
        if (!keying) {
            error = "keying for group " + id + ": " + std::string(mike::to_string(keying.error()));
            return false;
        }
        engines_.push_back({&group, std::move(keying).value(), std::nullopt, std::nullopt, 0, {}});
    }
    return true;
}

bool Daemon::start_lkh_receiving(std::string& error) {
    const auto now = idp::Clock::now();
    config::LkhSettings settings = config_.keying.lkh.value_or(config::LkhSettings{});
    lkh_receiver_ = std::make_unique<LkhReceiverService>(
        settings, authenticator_,
        [this](const config::Group& group, const NodeId& node,
               std::span<const std::uint8_t> credential) {
            return role_with(group, node, credential) == access::Role::Sender;
        },
        std::chrono::milliseconds(config_.discovery->hello_interval_ms));
    for (const auto& group : config_.groups) {
        if (group.action != config::GroupAction::Protect) continue;
        const std::string id = group.address.to_string();
        const access::Role own_role = role_in(group, config_.instance.name);
        if (own_role != access::Role::Receiver) {
            error = "group " + id + ": keying.mode \"lkh\" receives keys from the group's " +
                    "senders, so its access list must name this node (" + config_.instance.name +
                    ") as a member but not as a sender (it is " +
                    std::string(access::to_string(own_role)) +
                    "); a sender box runs keying.mode \"mike\"";
            return false;
        }
        lkh_receiver_->add_group(group, now);
    }
    const auto& discovery = *config_.discovery;
    std::printf(
        "mcsec-controld: instance %s discovering on %s (%s port %u) as the LKH receiver "
        "of %zu groups%s: it listens and sends no hellos (silent after registering)\n",
        config_.instance.name.c_str(), black_port(config_)->name.c_str(),
        discovery.group.to_string().c_str(), discovery.port, lkh_receiver_->groups().size(),
        settings.emcon ? " under EMCON" : "");
    std::fflush(stdout);
    run_due();
    return true;
}

bool Daemon::start_prefix_exchange(const config::Port& black, const config::IpAddress& address,
                                   std::uint64_t startup, std::string& error) {
    if (!options_.tls_credentials) {
        std::printf(
            "mcsec-controld: red prefixes are not exchanged: the identity is a PSK, and the "
            "prefix exchange runs over TLS with certificates (use [identity] x509)\n");
        return true;
    }
    const idp::Duration hello(config_.discovery->hello_interval_ms);
    prefix_exchange_ = std::make_unique<idp::PrefixExchange>(config_.instance.name, startup, hello);
    // This appliance's red prefixes: the networks of its red ports' addresses.
    std::vector<config::Prefix> red;
    for (const auto& port : config_.ports) {
        if (port.role != config::PortRole::Red) continue;
        for (const auto& prefix : port.addresses) red.push_back(prefix.network());
    }
    try {
        prefix_exchange_->set_local_prefixes(std::move(red), idp::Clock::now());
        prefix_channel_ = std::make_unique<TlsPeerChannel>(
            io_, options_.tls_credentials, black.name, address, config_.discovery->port,
            [this](const NodeId& peer, std::span<const std::uint8_t> bytes) {
                on_prefix_message(peer, bytes);
            },
            [this](const TlsRefusal& refusal) { on_prefix_channel_refusal(refusal); });
    } catch (const std::exception& e) {
        error = std::string("red-prefix exchange: ") + e.what();
        return false;
    }
    return true;
}

void Daemon::on_prefix_message(const NodeId& tls_peer, std::span<const std::uint8_t> bytes) {
    const auto now = idp::Clock::now();
    if (lkh::is_replica_frame(bytes)) {
        // A group's LKH tree from its TM, or revocations from another sender.
        if (!lkh_sender_) {
            raise_alarm("PROTOCOL_VIOLATION", {}, 0,
                        "LKH replica frame, but this box runs no LKH key distribution "
                        "([keying.lkh])",
                        tls_peer);
            return;
        }
        LkhEffects effects;
        lkh_sender_->on_replica_frame(tls_peer, bytes, now, effects);
        apply(effects, now);
        drain_keying(now);
        arm_timer();
        return;
    }
    std::vector<idp::OutgoingMessage> replies;
    const auto verdict = prefix_exchange_->on_message(tls_peer, bytes, now, replies);
    if (verdict == idp::PrefixVerdict::Accepted) {
        std::printf("mcsec-controld: peer %s announced %zu red prefixes t=%.6f\n", tls_peer.c_str(),
                    prefix_exchange_->peer_prefixes(tls_peer)->size(), wall_seconds());
        std::fflush(stdout);
    }
    if (const auto alarm = idp::alarm_for(verdict); alarm != idp::IdpAlarm::None) {
        raise_alarm(std::string(idp::to_string(alarm)), {}, 0,
                    "prefix message refused (" + std::string(idp::to_string(verdict)) + ")",
                    tls_peer);
    }
    send_prefix_messages(std::move(replies));
    arm_timer();
}

void Daemon::on_prefix_channel_refusal(const TlsRefusal& refusal) {
    // A certificate the deployment CA did not issue (or that names another node, or expired)
    // is an authentication failure; a frame that cannot be read is a malformed message.
    const bool certificate = refusal.kind == TlsRefusal::Kind::CertificateRefused;
    raise_alarm(certificate ? "SIGN_FAILED" : "MALFORMED_PACKET", {}, 0,
                std::string(certificate ? "TLS handshake with " : "TLS frame from ") +
                    refusal.address + " refused: " + refusal.detail,
                refusal.peer);
}

void Daemon::send_prefix_messages(std::vector<idp::OutgoingMessage> messages) {
    for (auto& message : messages) {
        const idp::Peer* peer = peer_table_.find(message.peer);
        if (peer == nullptr || peer->state != idp::PeerState::Up) continue;  // re-announced later
        prefix_channel_->send(message.peer, peer->black_address, std::move(message.bytes));
    }
}

void Daemon::stop() {
    const auto now = idp::Clock::now();
    if (!registration_) return;  // an LKH receiver says nothing when it goes
    RegistrationEffects effects;
    registration_->leave_all(now, effects);
    apply(effects, now);
    for (auto& engine : engines_) {
        for (const auto& datagram : engine.keying.shutdown(now)) socket_->send(datagram);
    }
}

void Daemon::on_datagram(std::span<const std::uint8_t> datagram, const std::string& source,
                         idp::TimePoint arrived) {
    const auto now = idp::Clock::now();
    // Cheap checks before any signature work, so a forged flood cannot starve real peers.
    const auto lookup = [this](std::string_view node) { return peer_table_.find(node); };
    if (!admitted(admission_.admit(datagram, source, lookup, now))) return;
    const auto wall = std::chrono::system_clock::now();
    // The first two bytes say which protocol: "ID" discovery, "MK" MIKE, "RG" registration.
    if (datagram.size() >= 2 && datagram[0] == 'I' && datagram[1] == 'D') {
        std::vector<idp::IdpEvent> events;
        const auto verdict =
            peer_table_.on_hello(datagram, std::min(arrived, now), wall, events);  // and counted
        if (const auto alarm = idp::alarm_for(verdict); alarm != idp::IdpAlarm::None) {
            // The claimed node id is unauthenticated here: the source address is what we know.
            raise_alarm(
                std::string(idp::to_string(alarm)), {}, 0,
                "hello from " + source + " refused (" + std::string(idp::to_string(verdict)) + ")");
        }
        on_idp_events(events);
    } else if (datagram.size() >= 2 && datagram[0] == mike::kMessageMagic0 &&
               datagram[1] == mike::kMessageMagic1) {
        for (auto& engine : engines_) {
            const auto verdict = engine.keying.on_datagram(datagram, now, wall);
            if (verdict == mike::MikeVerdict::OtherGroup) continue;
            if (mike::alarm_for(verdict) != mike::MikeAlarm::None) {
                raise_alarm(std::string(mike::to_string(mike::alarm_for(verdict))),
                            engine.group->address.to_string(), 0,
                            "MIKE message from " + source + " refused (" +
                                std::string(mike::to_string(verdict)) + ")");
            }
            break;
        }
    } else if (registration::has_registration_magic(datagram) && registration_) {
        RegistrationEffects effects;
        registration_->on_datagram(datagram, source, now, wall, effects);
        apply(effects, now);
    } else if (datagram.size() >= 2 && datagram[0] == 'L' && datagram[1] == 'R' &&
               (lkh_sender_ || lkh_receiver_)) {
        LkhEffects effects;
        if (lkh_sender_) lkh_sender_->on_registration(datagram, source, wall, now, effects);
        if (lkh_receiver_) lkh_receiver_->on_registration(datagram, wall, now, effects);
        apply(effects, now);
    } else if (datagram.size() >= 2 && datagram[0] == 'L' && datagram[1] == 'K' &&
               (lkh_sender_ || lkh_receiver_)) {
        // Senders hear their TM's pushes too; only receivers apply them.
        if (lkh_receiver_) {
            LkhEffects effects;
            lkh_receiver_->on_push(datagram, wall, now, effects);
            apply(effects, now);
        }
    } else {
        ++unknown_datagrams_;
    }
    drain_keying(now);
    arm_timer();
}

void Daemon::on_idp_events(const std::vector<idp::IdpEvent>& events) {
    const auto now = idp::Clock::now();
    const bool was_tm = is_tm();
    bool appeared = false;
    for (const auto& e : events) {
        std::printf("mcsec-controld: peer %s %s (%s) t=%.6f\n", e.node_id.c_str(),
                    std::string(idp::to_string(e.kind)).c_str(),
                    e.black_address.to_string().c_str(), wall_seconds());
        appeared = appeared || e.kind != idp::IdpEventKind::Leave;
        for (auto& engine : engines_) engine.keying.on_membership(event_for_group(engine, e), now);
        if (prefix_exchange_) {
            prefix_exchange_->on_event(e, now);
            // Left, restarted or back after a silence: a connection to its old process may be
            // half-closed, and writing into it would lose the next announcements. Dial anew.
            prefix_channel_->forget(e.node_id);
        }
        if (lkh_sender_ && prefix_channel_ && e.kind != idp::IdpEventKind::Leave) {
            // A sender (re)appeared: it gets the trees this node serves and the revocations it
            // knows, on the new connection (after forget(): the old one may be half-closed).
            const idp::Peer* peer = peer_table_.find(e.node_id);
            for (auto& outgoing : lkh_sender_->for_new_sender(e.node_id, now)) {
                for (auto& frame : outgoing.frames) {
                    if (peer)
                        prefix_channel_->send(e.node_id, peer->black_address, std::move(frame));
                }
            }
        }
    }
    if (appeared && hello_sender_ && (was_tm || is_tm())) {
        // A (re)appeared peer refuses our keying messages (MIKE ties each to our IDP session)
        // until it has heard our hello, which may be an interval away, and its join waits for
        // us if we are the TM (or were, and hand over to it). So the TM sends a hello now,
        // ahead of what its engines have to say to the peer: drain_keying() runs after this,
        // on the same socket, so the hello arrives first. Only the TM: the others' hellos are
        // not on the join's path, and every member answering would multicast N hellos to N
        // nodes per join (at 50 members on two cores: tens of milliseconds of extra delay).
        hello_sender_->send_soon(now);
        if (auto hello = hello_sender_->poll(now)) socket_->send(*hello);
    }
    if (!events.empty()) std::fflush(stdout);
}

access::NodeFacts Daemon::facts_of(const NodeId& node) const {
    if (node == config_.instance.name) return {node, own_certificate_};
    const idp::Peer* peer = peer_table_.find(node);
    if (peer == nullptr) return {node, std::nullopt};
    auto& known = certificates_[node];
    if (!known.read || known.startup_timestamp != peer->startup_timestamp) {
        // The peer table holds the credential of the run's first verified hello.
        known.startup_timestamp = peer->startup_timestamp;
        known.attributes = identity::certificate_attributes(peer->credential);
        known.read = !peer->credential.empty();  // an empty one: no hello verified yet, or PSK
    }
    return {node, known.attributes};
}

access::Role Daemon::role_in(const config::Group& group, const NodeId& node) const {
    if (!group.access) return access::Role::Sender;  // an open group: nothing to look up
    return access::role_in(group.access, facts_of(node));
}

access::Role Daemon::role_with(const config::Group& group, const NodeId& node,
                               std::span<const std::uint8_t> credential) const {
    if (!group.access) return access::Role::Sender;
    // The credential the message carries (its signature check verifies it next); without one
    // (a PSK deployment) the node id alone decides.
    if (credential.empty()) return role_in(group, node);
    return access::role_in(group.access, {node, identity::certificate_attributes(credential)});
}

idp::IdpEvent Daemon::event_for_group(const GroupEngine& engine, const idp::IdpEvent& event) {
    if (event.kind == idp::IdpEventKind::Leave) return event;
    idp::IdpEvent leave = event;
    leave.kind = idp::IdpEventKind::Leave;
    const idp::Peer* peer = peer_table_.find(event.node_id);
    const std::string id = engine.group->address.to_string();
    if (peer == nullptr || !std::binary_search(peer->groups.begin(), peer->groups.end(), id)) {
        return leave;  // it does not serve this group
    }
    const access::Role role = role_in(*engine.group, event.node_id);
    if (access::is_member(role)) return event;
    ++refused_announcements_;
    raise_alarm("ACCESS_VIOLATION", id, 0,
                "node " + event.node_id + " announces group " + id +
                    " but the group's access list does not admit it (" +
                    std::string(access::to_string(role)) + "): not a member, never elected",
                event.node_id);
    return leave;
}

bool Daemon::is_tm() const {
    return std::any_of(engines_.begin(), engines_.end(),
                       [](const GroupEngine& engine) { return engine.keying.is_tm(); });
}

void Daemon::drain_keying(idp::TimePoint now) {
    for (auto& engine : engines_) {
        // Install before sending: the TM's complete TREE_STATE wakes every member at once, and on
        // a loaded box the TM may not run again until they are done (its own install would then
        // come last). Installing first also keeps receivers-first order on this node.
        const auto datagrams = engine.keying.poll(now);  // may complete an epoch (TM)
        while (auto key = engine.keying.take_new_key()) install(engine, *key, now);
        for (const auto& datagram : datagrams) send_keying(engine, datagram);
    }
    if (lkh_sender_) {
        LkhEffects effects;
        for (const auto& engine : engines_) {
            lkh_sender_->follow(*engine.group, engine.keying.is_tm(), now, effects);
        }
        lkh_sender_->poll(now, effects);
        apply(effects, now);
        send_lkh_replicas(now);
    }
    if (registration_) follow_tms(now);
}

void Daemon::send_keying(const GroupEngine& engine, std::span<const std::uint8_t> datagram) {
    if (mike::only_for_tm(datagram)) {
        const idp::Peer* tm = peer_table_.find(engine.keying.tm());
        if (tm != nullptr && tm->state == idp::PeerState::Up &&
            socket_->send_to(tm->black_address, datagram)) {
            return;
        }
    }
    socket_->send(datagram);  // TM unknown or not up: multicast reaches whoever it will be
}

void Daemon::follow_tms(idp::TimePoint now) {
    RegistrationEffects effects;
    for (const auto& engine : engines_) {
        const config::Policy* policy = config_.find_policy(engine.group->policy);
        const std::uint64_t hard_s = policy ? policy->lifetime.seconds.hard : 0;
        registration_->follow(engine.group->address, engine.keying.tm(),
                              std::chrono::seconds(hard_s), now, effects);
    }
    apply(effects, now);
}

Daemon::GroupEngine* Daemon::engine_for(const config::IpAddress& group) {
    for (auto& engine : engines_) {
        if (engine.group->address == group) return &engine;
    }
    return nullptr;
}

void Daemon::apply(RegistrationEffects& effects, idp::TimePoint now) {
    for (const auto& outgoing : effects.datagrams) {
        const idp::Peer* peer = peer_table_.find(outgoing.to);
        if (peer == nullptr || peer->state != idp::PeerState::Up ||
            !socket_->send_to(peer->black_address, outgoing.datagram)) {
            ++unroutable_datagrams_;  // the request is retransmitted; an alarm is best effort
        }
    }
    for (const auto& event : effects.events) {
        std::printf("mcsec-controld: registration %s group %s peer %s t=%.6f\n",
                    std::string(registration::to_string(event.kind)).c_str(),
                    event.group.to_string().c_str(), event.peer.c_str(), wall_seconds());
    }
    if (!effects.events.empty()) std::fflush(stdout);
    for (auto& alarm : effects.alarms) {
        raise_alarm(std::string(registration::to_string(alarm.kind)),
                    alarm.group ? alarm.group->to_string() : std::string{}, alarm.spi,
                    std::move(alarm.detail), std::move(alarm.peer),
                    std::string(registration::to_string(alarm.origin)));
    }
    for (const auto& group : effects.rekeys) {
        GroupEngine* engine = engine_for(group);
        if (engine == nullptr || !engine->keying.is_tm()) continue;
        std::printf("mcsec-controld: group %s rekeying at a member's request (registration)\n",
                    group.to_string().c_str());
        std::fflush(stdout);
        engine->keying.request_rekey(now);
    }
    effects = {};
}

void Daemon::install(GroupEngine& engine, const mike::EpochKey& key, idp::TimePoint now) {
    std::string error;
    const auto sender_id = mike::sender_id_of(key, config_.instance.name);
    if (!sender_id) {
        // Keying only completes epochs whose tree holds this node; refuse rather than guess.
        raise_alarm("SERVER_CONFLICT", engine.group->address.to_string(), key.spi,
                    "epoch " + std::to_string(key.epoch) +
                        " has no sender ID for this node (not a member, or over 65535 members)");
        return;
    }
    if (key.members.size() > config_.dataplane.max_senders) {
        std::printf(
            "mcsec-controld: warning: group %s has %zu members but dataplane.max_senders is %u: "
            "receivers keep replay windows for the first %u senders they hear on an SA and drop "
            "the packets of others (too_many_senders)\n",
            engine.group->address.to_string().c_str(), key.members.size(),
            static_cast<unsigned>(config_.dataplane.max_senders),
            static_cast<unsigned>(config_.dataplane.max_senders));
    }
    const bool may_send = role_in(*engine.group, config_.instance.name) == access::Role::Sender;
    if (installer_ && !installer_->install(*engine.group, key.spi, key.key_and_salt, *sender_id,
                                           now, error, may_send)) {
        raise_alarm("SERVER_CONFLICT", engine.group->address.to_string(), key.spi,
                    "cannot install epoch " + std::to_string(key.epoch) + ": " + error);
        if (engine.keying.is_tm()) engine.keying.request_rekey(now);  // a new tree, a new SPI
        return;
    }
    // Logged once the inbound SA is in the fast path's table (tests and the join-latency
    // harness read this line as "installed"); the key itself never, only its check value.
    std::printf(
        "mcsec-controld: group %s epoch %lu key kcv %s members %zu spi 0x%08x tm %s "
        "t=%.6f\n",
        engine.group->address.to_string().c_str(), static_cast<unsigned long>(key.epoch),
        key_check_value(key.key_and_salt.view()).c_str(), key.members.size(), key.spi,
        engine.keying.tm().c_str(), wall_seconds());
    std::fflush(stdout);
    engine.keyed_at = now;
    engine.spi = key.spi;
    engine.epoch_of_spi[key.spi] = key.epoch;
    while (engine.epoch_of_spi.size() > 8) {  // the installer holds at most a few per group
        engine.epoch_of_spi.erase(
            std::min_element(engine.epoch_of_spi.begin(), engine.epoch_of_spi.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
    if (lkh_sender_) {
        LkhEffects lkh;
        lkh_sender_->on_tek(*engine.group, key.epoch, key.spi, key.key_and_salt.view(), now, lkh);
        apply(lkh, now);
    }
    RegistrationEffects effects;
    if (!registration_->epoch_installed(engine.group->address, key.epoch, key.spi, now, effects)) {
        // MIKE derives SPIs from the tree; a collision with another group this TM serves is
        // unlikely but possible, and a new tree gives a new SPI.
        raise_alarm("SERVER_CONFLICT", engine.group->address.to_string(), key.spi,
                    "epoch " + std::to_string(key.epoch) +
                        "'s SPI is held by another group this node serves: rekeying");
        engine.keying.request_rekey(now);
    }
    apply(effects, now);
}

void Daemon::apply(LkhEffects& effects, idp::TimePoint now) {
    for (const auto& datagram : effects.multicast) socket_->send(datagram);
    for (const auto& reply : effects.unicast) {
        const auto address = config::IpAddress::parse(reply.to.substr(0, reply.to.find('%')));
        if (!address || !socket_->send_to(*address, reply.datagram)) ++unroutable_datagrams_;
    }
    for (const auto& line : effects.log) {
        std::printf("mcsec-controld: %s t=%.6f\n", line.c_str(), wall_seconds());
    }
    if (!effects.log.empty()) std::fflush(stdout);
    for (auto& alarm : effects.alarms) {
        raise_alarm(std::move(alarm.kind), std::move(alarm.group), 0, std::move(alarm.detail),
                    std::move(alarm.peer));
    }
    for (const auto& group : effects.rekeys) {
        GroupEngine* engine = engine_for(group);
        if (engine != nullptr && engine->keying.is_tm()) engine->keying.request_rekey(now);
    }
    for (auto& key : effects.keys) {
        // A receiver box: the TEK is installed for receiving only (it is no sender, so no
        // sender ID: 0 is never one MIKE assigns).
        std::string error;
        const std::string group = key.group->address.to_string();
        if (installer_ && !installer_->install(*key.group, key.spi, key.key_and_salt, 0, now, error,
                                               /*may_send=*/false)) {
            raise_alarm("SERVER_CONFLICT", group, key.spi,
                        "cannot install LKH epoch " + std::to_string(key.epoch) + ": " + error);
            continue;
        }
        std::printf("mcsec-controld: group %s epoch %lu key kcv %s spi 0x%08x via lkh t=%.6f\n",
                    group.c_str(), static_cast<unsigned long>(key.epoch),
                    key_check_value(key.key_and_salt.view()).c_str(), key.spi, wall_seconds());
        std::fflush(stdout);
    }
    effects = {};
}

void Daemon::send_to_senders(const config::Group& group,
                             std::vector<std::vector<std::uint8_t>> frames) {
    if (!prefix_channel_) {  // a PSK deployment: no TLS channel, nothing replicated
        for (auto& frame : frames) OPENSSL_cleanse(frame.data(), frame.size());
        return;
    }
    const std::string id = group.address.to_string();
    for (const auto& peer : peer_table_.peers()) {
        if (peer.state != idp::PeerState::Up ||
            !std::binary_search(peer.groups.begin(), peer.groups.end(), id) ||
            role_in(group, peer.node_id) != access::Role::Sender) {
            continue;
        }
        for (const auto& frame : frames)
            prefix_channel_->send(peer.node_id, peer.black_address, frame);
    }
    for (auto& frame : frames) OPENSSL_cleanse(frame.data(), frame.size());  // key tree bytes
}

void Daemon::send_lkh_replicas(idp::TimePoint now) {
    if (!lkh_sender_ || !prefix_channel_) return;
    for (auto& outgoing : lkh_sender_->take_replicas(now)) {
        send_to_senders(*outgoing.group, std::move(outgoing.frames));
    }
}

std::string Daemon::revoke_receiver(const std::string& group, const NodeId& node) {
    if (!lkh_sender_) {
        throw std::invalid_argument(
            "this box distributes no keys by LKH (a sender box with a [keying.lkh] table does)");
    }
    const auto now = idp::Clock::now();
    std::string outcome = lkh_sender_->revoke(group, node, now);
    if (auto revocations = lkh_sender_->revocations_of(group)) {
        send_to_senders(*revocations->group, std::move(revocations->frames));
    }
    send_lkh_replicas(now);
    std::printf("mcsec-controld: group %s: LKH receiver %s revoked by the operator: %s t=%.6f\n",
                group.c_str(), node.c_str(), outcome.c_str(), wall_seconds());
    std::fflush(stdout);
    arm_timer();
    return outcome;
}

void Daemon::register_again(const std::string& group) {
    if (!lkh_receiver_) {
        throw std::invalid_argument("this box is no LKH receiver (keying.mode \"lkh\")");
    }
    lkh_receiver_->register_again(group, idp::Clock::now());
    run_due();
}

void Daemon::raise_alarm(std::string kind, std::string group, std::uint32_t spi, std::string detail,
                         std::string peer, std::string origin) {
    DaemonAlarm alarm{std::chrono::system_clock::now(),
                      std::move(kind),
                      std::move(origin),
                      std::move(group),
                      std::move(peer),
                      spi,
                      std::move(detail)};
    if (!alarms_.raise(std::move(alarm), idp::Clock::now())) return;  // throttled: counted only
    const DaemonAlarm& a = alarms_.entries().back();                  // with any "suppressed" note
    std::fprintf(stderr, "mcsec-controld: alarm %s (%s%s%s): %s\n", a.kind.c_str(),
                 a.origin.c_str(), a.peer.empty() ? "" : ", peer ", a.peer.c_str(),
                 a.detail.c_str());
}

std::vector<std::string> Daemon::rekey(const std::optional<std::string>& group) {
    const auto now = idp::Clock::now();
    std::vector<std::string> started;
    bool found = false;
    for (auto& engine : engines_) {
        const std::string address = engine.group->address.to_string();
        if (group && *group != address) continue;
        found = true;
        if (engine.keying.request_rekey(now)) {
            started.push_back(address);
        } else if (group) {
            throw std::logic_error("this node is not the transaction manager of group " + address +
                                   " (" + engine.keying.tm() + " is)");
        }
    }
    if (group && !found) throw std::invalid_argument("no protected group " + *group);
    drain_keying(now);
    arm_timer();
    return started;
}

void Daemon::run_due() {
    // Read what already arrived before declaring anyone dead (admission makes each forged
    // datagram cheap, so even a full receive buffer is read in tens of milliseconds).
    if (const auto expiry = peer_table_.next_expiry(); expiry && *expiry <= idp::Clock::now()) {
        socket_->drain(kMaxDrainedBeforeExpiry);
    }
    const auto now = idp::Clock::now();
    if (hello_sender_) {
        if (auto hello = hello_sender_->poll(now)) socket_->send(*hello);
    }
    std::vector<idp::IdpEvent> events;
    peer_table_.expire(now, events);
    on_idp_events(events);
    check_lifetimes(now);
    check_sender_id_conflicts(now);
    if (registration_) {
        RegistrationEffects effects;
        registration_->on_timer(now, effects);
        apply(effects, now);
    }
    if (lkh_receiver_) {
        LkhEffects effects;
        lkh_receiver_->poll(now, effects);
        apply(effects, now);
    }
    if (prefix_exchange_) send_prefix_messages(prefix_exchange_->poll(now));
    drain_keying(now);
    if (installer_) installer_->run_due(now);
    arm_timer();
}

void Daemon::check_lifetimes(idp::TimePoint now) {
    for (auto& engine : engines_) {
        const std::uint64_t epoch = engine.keying.epoch();
        if (!engine.keyed_at || epoch == 0 || engine.expiry_handled_epoch == epoch) continue;
        const config::Policy* policy = config_.find_policy(engine.group->policy);
        // A hard limit alone still gets its rekey, at 90% (the dataplane's rule too).
        const std::uint64_t soft_s = policy ? esp::effective_soft(policy->lifetime.seconds.soft,
                                                                  policy->lifetime.seconds.hard)
                                            : 0;
        const bool aged = soft_s > 0 && now - *engine.keyed_at >= std::chrono::seconds(soft_s);
        const std::string name = engine.group->address.to_string();
        const bool used_up = installer_ && installer_->sending_sa_soft_expired(*engine.group);
        if (!aged && !used_up) continue;
        engine.expiry_handled_epoch = epoch;
        if (!engine.keying.is_tm() && !used_up) continue;  // the TM's key ages alike
        if (engine.keying.is_tm()) {
            std::printf(
                "mcsec-controld: group %s epoch %lu reached its soft lifetime (%s): "
                "rekeying\n",
                name.c_str(), static_cast<unsigned long>(epoch),
                aged ? "seconds" : "bytes or packets");
            std::fflush(stdout);
            engine.keying.request_rekey(now);
        } else {
            // Only the TM starts a rekey. A member that used up its bytes or packets first (it
            // sends more than the TM) tells the TM with registration's SA_EXPIRED.
            RegistrationEffects effects;
            registration_->report_sa_expired(
                engine.group->address, engine.spi.value_or(0),
                "epoch " + std::to_string(epoch) +
                    "'s sending SA reached its soft lifetime (bytes or packets)",
                now, effects);
            apply(effects, now);
        }
    }
}

void Daemon::check_sender_id_conflicts(idp::TimePoint now) {
    if (!installer_) return;
    for (auto& engine : engines_) {
        const std::string name = engine.group->address.to_string();
        const std::uint64_t seen = installer_->own_sender_id_packets(name);
        if (seen <= engine.own_sender_id_packets) continue;
        const std::uint64_t more = seen - engine.own_sender_id_packets;
        engine.own_sender_id_packets = seen;
        raise_alarm("SERVER_CONFLICT", name, engine.spi.value_or(0),
                    std::to_string(more) +
                        " authentic packet(s) arrived with this node's own sender ID: another "
                        "appliance sends with the same ID under the group key (AES-GCM nonce "
                        "reuse); rekeying");
        // A new epoch gives every member a fresh position, and so a fresh sender ID.
        if (engine.keying.is_tm()) engine.keying.request_rekey(now);
    }
}

void Daemon::arm_timer() {
    auto due = idp::TimePoint::max();
    if (hello_sender_) due = hello_sender_->next_due();
    if (auto expiry = peer_table_.next_expiry()) due = std::min(due, *expiry);
    if (installer_) {
        if (auto step = installer_->next_due()) due = std::min(due, *step);
    }
    for (const auto& engine : engines_) due = std::min(due, engine.keying.next_due());
    if (registration_) {
        if (auto step = registration_->next_due()) due = std::min(due, *step);
    }
    if (lkh_sender_) {
        if (auto step = lkh_sender_->next_due()) due = std::min(due, *step);
    }
    if (lkh_receiver_) {
        if (auto step = lkh_receiver_->next_due()) due = std::min(due, *step);
    }
    if (prefix_exchange_) {
        if (auto step = prefix_exchange_->next_due()) due = std::min(due, *step);
    }
    timer_.expires_at(due);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) run_due();
    });
}

}  // namespace mcsec::control
