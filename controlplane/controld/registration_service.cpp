#include "registration_service.hpp"

#include <algorithm>
#include <stdexcept>

#include "mcsec/control/registration/dispatch.hpp"

namespace mcsec::control {

using registration::AlarmKind;
using registration::AlarmOrigin;
using registration::EventKind;
using registration::Outbox;

RegistrationService::RegistrationService(const MessageAuthenticator& authenticator,
                                         std::uint64_t initial_timestamp, std::uint32_t spi_start,
                                         registration::ClientConfig client_config)
    : self_(authenticator.node_id()),
      client_(authenticator, initial_timestamp, client_config),
      registry_(authenticator, initial_timestamp, spi_start) {}

void RegistrationService::follow(const config::IpAddress& group, const NodeId& tm,
                                 idp::Duration sa_lifetime, idp::TimePoint now,
                                 RegistrationEffects& out) {
    if (tm.empty()) return;
    const auto known = tm_of_.find(group);
    if (known != tm_of_.end() && known->second == tm) return;
    tm_of_[group] = tm;
    const bool serving = registry_.serves(group);
    if (tm == self_ && !serving) registry_.serve_group(group, sa_lifetime);
    if (tm != self_ && serving) registry_.stop_serving(group);
    Outbox box;
    client_.set_tm(group, tm, now, box);  // our own id makes the group Local
    collect(box, out);
}

bool RegistrationService::epoch_installed(const config::IpAddress& group, std::uint64_t epoch,
                                          std::uint32_t spi, idp::TimePoint now,
                                          RegistrationEffects&) {
    if (!registry_.serves(group)) return true;  // a member learns SPIs from keying and ACKs
    const auto current = registry_.current_epoch(group);
    if (current && current->first >= epoch) return current->second == spi;  // seen already
    return registry_.begin_epoch_with_spi(group, epoch, spi, now);
}

void RegistrationService::report_sa_expired(const config::IpAddress& group, std::uint32_t spi,
                                            std::string detail, idp::TimePoint now,
                                            RegistrationEffects& out) {
    Outbox box;
    client_.report_sa_expired(group, spi, now, box, std::move(detail));
    collect(box, out);
}

void RegistrationService::leave_all(idp::TimePoint now, RegistrationEffects& out) {
    Outbox box;
    for (const auto& [group, tm] : tm_of_) {
        if (tm != self_) client_.leave(group, now, box);
    }
    collect(box, out);
}

void RegistrationService::on_datagram(std::span<const std::uint8_t> datagram,
                                      const std::string& source, idp::TimePoint now,
                                      idp::WallTime wall_now, RegistrationEffects& out) {
    Outbox box;
    if (registration::destination_for(datagram, registry_) == registration::Destination::Registry) {
        registry_.on_datagram(datagram, source, now, wall_now, box);
    } else {
        client_.on_datagram(datagram, source, now, wall_now, box);
    }
    collect(box, out);
}

void RegistrationService::on_timer(idp::TimePoint now, RegistrationEffects& out) {
    Outbox box;
    client_.on_timer(now, box);
    registry_.on_timer(now, box);
    collect(box, out);
}

std::optional<idp::TimePoint> RegistrationService::next_due() const {
    const auto a = client_.next_due();
    const auto b = registry_.next_due();
    if (a && b) return std::min(*a, *b);
    return a ? a : b;
}

void RegistrationService::collect(Outbox& box, RegistrationEffects& out) {
    const auto rekey = [&out](const config::IpAddress& group) {
        if (std::find(out.rekeys.begin(), out.rekeys.end(), group) == out.rekeys.end()) {
            out.rekeys.push_back(group);
        }
    };
    for (auto& event : box.events) {
        if (event.kind == EventKind::SpiConflictReported || event.kind == EventKind::RekeyOverdue) {
            rekey(event.group);
        }
        out.events.push_back(std::move(event));
    }
    for (auto& alarm : box.alarms) {
        // A member's sending SA ran out before ours (it sends more): the group needs a new
        // epoch, which only the TM can start. Reports about an older epoch's SPI are stale.
        if (alarm.kind == AlarmKind::SaExpired && alarm.origin == AlarmOrigin::Received &&
            alarm.group && registry_.serves(*alarm.group)) {
            const auto current = registry_.current_epoch(*alarm.group);
            if (current && current->second == alarm.spi) rekey(*alarm.group);
        }
        out.alarms.push_back(std::move(alarm));
    }
    for (auto& datagram : box.datagrams) out.datagrams.push_back(std::move(datagram));
}

}  // namespace mcsec::control
