#include "daemon.hpp"

#include <cstdio>

#include "mcsec/control/idp/idp_event.hpp"
#include "mcsec/dataplane/manual_keying.hpp"
#include "startup_timestamp.hpp"

namespace mcsec::control {

namespace {

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
                  idp::Duration(config.discovery ? config.discovery->hello_interval_ms : 1000)) {}

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
    if (!options_.no_dataplane) {
        bool created = false;
        region_ = shm::Region::attach_or_create(
            config_.instance.name, dataplane::region_geometry(config_), created, error);
        if (!region_) return false;
        installer_ = std::make_unique<SaInstaller>(config_, *region_, InstallerDelays{});
        if (!installer_->start(error)) return false;
    }
    try {
        socket_ = std::make_unique<DiscoverySocket>(
            io_, black->name, discovery.group, discovery.port,
            [this](std::span<const std::uint8_t> datagram) { on_datagram(datagram); });
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
    std::string warning;
    const auto startup =
        next_startup_timestamp(options_.state_dir / (config_.instance.name + ".startup"),
                               std::chrono::system_clock::now(), warning);
    if (!warning.empty()) std::fprintf(stderr, "mcsec-controld: warning: %s\n", warning.c_str());
    hello_sender_ = std::make_unique<idp::HelloSender>(authenticator_, *address, startup,
                                                       idp::Duration(discovery.hello_interval_ms),
                                                       idp::Clock::now());
    std::printf("mcsec-controld: instance %s discovering on %s (%s port %u), startup %lu\n",
                config_.instance.name.c_str(), black->name.c_str(),
                discovery.group.to_string().c_str(), discovery.port,
                static_cast<unsigned long>(startup));
    std::fflush(stdout);
    run_due();
    return true;
}

void Daemon::on_datagram(std::span<const std::uint8_t> datagram) {
    std::vector<idp::IdpEvent> events;
    const auto verdict =
        peer_table_.on_hello(datagram, idp::Clock::now(), std::chrono::system_clock::now(), events);
    (void)verdict;  // counted by the table
    on_idp_events(events);
    arm_timer();
}

void Daemon::on_idp_events(const std::vector<idp::IdpEvent>& events) {
    for (const auto& e : events) {
        std::printf("mcsec-controld: peer %s %s (%s)\n", e.node_id.c_str(),
                    std::string(idp::to_string(e.kind)).c_str(),
                    e.black_address.to_string().c_str());
    }
    if (!events.empty()) std::fflush(stdout);
}

void Daemon::run_due() {
    const auto now = idp::Clock::now();
    if (auto hello = hello_sender_->poll(now)) socket_->send(*hello);
    std::vector<idp::IdpEvent> events;
    peer_table_.expire(now, events);
    on_idp_events(events);
    if (installer_) installer_->run_due(now);
    arm_timer();
}

void Daemon::arm_timer() {
    auto due = hello_sender_->next_due();
    if (auto expiry = peer_table_.next_expiry()) due = std::min(due, *expiry);
    if (installer_) {
        if (auto step = installer_->next_due()) due = std::min(due, *step);
    }
    timer_.expires_at(due);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) run_due();
    });
}

}  // namespace mcsec::control
