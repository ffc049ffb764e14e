// Registration as mcsec-controld runs it (docs/protocol/registration.md): for every protected
// group, this node either serves it as the transaction manager (Registry: who is registered,
// the SPIs of its epochs, alarms from members) or registers with the group's TM
// (RegistrationClient). Which one follows the MIKE engine's election, so the two protocols never
// disagree about who the TM is.
//
// Socket-free: the daemon passes datagrams and times in and carries out what the Effects name
// (unicast datagrams by node id, alarms for the log and the API, rekeys asked of a TM).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/registration/registration_client.hpp"
#include "mcsec/control/registration/registry.hpp"

namespace mcsec::control {

struct RegistrationEffects {
    std::vector<registration::Outgoing> datagrams;  // unicast to the named nodes
    std::vector<registration::AlarmRecord> alarms;  // raised or received during the call
    std::vector<registration::Event> events;        // for the log
    // Served groups that need a new epoch: a member's SA_EXPIRED about the current SPI, an SPI
    // conflict a member reported, or the epoch outliving its hard lifetime.
    std::vector<config::IpAddress> rekeys;
};

class RegistrationService {
  public:
    // `initial_timestamp`: above every message timestamp an earlier run sent (the daemon
    // derives it from the IDP startup timestamp). `spi_start` seeds the Registry's allocator.
    RegistrationService(const MessageAuthenticator& authenticator, std::uint64_t initial_timestamp,
                        std::uint32_t spi_start, registration::ClientConfig client_config);

    // The keying engine's view of `group`: its elected TM (empty while none is known) and the
    // hard lifetime of an epoch's SA. Serving starts and stops, and the member side
    // (re)registers, as the TM changes.
    void follow(const config::IpAddress& group, const NodeId& tm, idp::Duration sa_lifetime,
                idp::TimePoint now, RegistrationEffects& out);
    // A new epoch of `group` was installed. On the TM the SPI is reserved among all groups it
    // serves: false means another served group or in-flight epoch holds it (rekey onto another).
    bool epoch_installed(const config::IpAddress& group, std::uint64_t epoch, std::uint32_t spi,
                         idp::TimePoint now, RegistrationEffects& out);
    // The fast path used up `group`'s sending SA (bytes or packets): SA_EXPIRED, logged and, on
    // a member, sent to the TM, which rekeys.
    void report_sa_expired(const config::IpAddress& group, std::uint32_t spi, std::string detail,
                           idp::TimePoint now, RegistrationEffects& out);
    // Shutdown: DELETE to the TM of every group this node registered in.
    void leave_all(idp::TimePoint now, RegistrationEffects& out);

    // A datagram starting with "RG"; `source` is its source address (for an unparsable one).
    void on_datagram(std::span<const std::uint8_t> datagram, const std::string& source,
                     idp::TimePoint now, idp::WallTime wall_now, RegistrationEffects& out);
    void on_timer(idp::TimePoint now, RegistrationEffects& out);
    std::optional<idp::TimePoint> next_due() const;

    // Who may register in (and raise alarms about) a group this node serves: the group policy.
    void set_admission(std::function<bool(const config::IpAddress&, const NodeId&)> admits) {
        registry_.set_admission(std::move(admits));
    }

    const registration::RegistrationClient& client() const noexcept { return client_; }
    const registration::Registry& registry() const noexcept { return registry_; }

  private:
    // Moves one call's outbox into `out`, turning the TM-side events and received alarms that
    // call for a new epoch into rekeys.
    void collect(registration::Outbox& box, RegistrationEffects& out);

    NodeId self_;
    registration::RegistrationClient client_;
    registration::Registry registry_;
    std::map<config::IpAddress, NodeId> tm_of_;  // the TM each group follows
};

}  // namespace mcsec::control
