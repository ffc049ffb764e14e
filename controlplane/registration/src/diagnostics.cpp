#include "mcsec/control/registration/diagnostics.hpp"

#include <utility>

namespace mcsec::control::registration {

Verdict Diagnostics::record(Verdict verdict, std::optional<config::IpAddress> group,
                            std::string peer, idp::TimePoint now, std::string detail, Outbox& out) {
    counters_.add(verdict);
    if (const auto kind = alarm_for(verdict)) {
        raise(AlarmRecord{.kind = *kind,
                          .origin = AlarmOrigin::Local,
                          .group = std::move(group),
                          .peer = std::move(peer),
                          .time = now,
                          .spi = 0,
                          .detail = std::move(detail)},
              out);
    }
    return verdict;
}

Verdict Diagnostics::record_malformed(ParseError error, std::string source, idp::TimePoint now,
                                      Outbox& out) {
    counters_.add(error);
    return record(Verdict::Malformed, std::nullopt, std::move(source), now,
                  std::string(to_string(error)), out);
}

void Diagnostics::raise(AlarmRecord record, Outbox& out) {
    out.alarms.push_back(record);
    alarms_.raise(std::move(record));
}

}  // namespace mcsec::control::registration
