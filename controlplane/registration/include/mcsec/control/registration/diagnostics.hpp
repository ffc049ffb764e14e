// Counters and alarms of one side of the protocol (member or TM), kept together because every
// refusal updates both: the counter by reason, and the alarm the verdict table names for it.
#pragma once

#include <optional>
#include <string>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/registration/alarm_log.hpp"
#include "mcsec/control/registration/outbox.hpp"
#include "mcsec/control/registration/verdict.hpp"

namespace mcsec::control::registration {

class Diagnostics {
  public:
    explicit Diagnostics(std::size_t alarm_capacity) : alarms_(alarm_capacity) {}

    // Counts `verdict`, raises its local alarm (if the table names one) about `group` and
    // `peer`, and returns it, so that a refusal is one `return diagnostics.record(...)`.
    Verdict record(Verdict verdict, std::optional<config::IpAddress> group, std::string peer,
                   idp::TimePoint now, std::string detail, Outbox& out);
    // A datagram that did not parse: counted by parse error, MALFORMED_PACKET about `source`.
    Verdict record_malformed(ParseError error, std::string source, idp::TimePoint now, Outbox& out);
    // Logs an alarm and hands it to the daemon through `out`.
    void raise(AlarmRecord record, Outbox& out);

    const Counters& counters() const noexcept { return counters_; }
    const AlarmLog& alarms() const noexcept { return alarms_; }
    AlarmLog& alarms() noexcept { return alarms_; }

  private:
    Counters counters_;
    AlarmLog alarms_;
};

}  // namespace mcsec::control::registration
