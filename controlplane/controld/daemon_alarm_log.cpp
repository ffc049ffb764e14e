#include "daemon_alarm_log.hpp"

#include <algorithm>

namespace mcsec::control {

bool DaemonAlarmLog::raise(DaemonAlarm alarm, TimePoint now) {
    // Received alarms are throttled apart from local ones: a peer reporting its own trouble
    // must not silence ours, nor ours theirs.
    Bucket& bucket = buckets_.try_emplace(alarm.kind + '/' + alarm.origin).first->second;
    if (bucket.refilled == TimePoint{}) bucket.refilled = now;
    const double refills = std::chrono::duration<double>(now - bucket.refilled) / kRefill;
    bucket.tokens = std::min<double>(kBurst, bucket.tokens + refills);
    bucket.refilled = now;
    KindCounters& counters = counters_[alarm.kind];
    if (bucket.tokens < 1.0) {
        ++bucket.suppressed_since_last;
        ++counters.suppressed;
        return false;
    }
    bucket.tokens -= 1.0;
    ++counters.raised;
    if (bucket.suppressed_since_last != 0) {
        alarm.detail += " (" + std::to_string(bucket.suppressed_since_last) + " more " +
                        alarm.kind + " alarms suppressed before this one)";
        bucket.suppressed_since_last = 0;
    }
    entries_.push_back(std::move(alarm));
    while (entries_.size() > kCapacity) entries_.pop_front();
    return true;
}

}  // namespace mcsec::control
