// The alarms an appliance raised or received, as the operator API shows them
// (docs/protocol/operator-api.md, "alarms"), bounded and throttled.
//
// Many alarms are triggered by unauthenticated bytes from the black network (a forged hello, a
// truncated MIKE datagram), so an attacker decides how many there are. Each kind of alarm gets
// a token bucket: a burst is recorded in full, a flood is recorded at a steady trickle and the
// rest counted, so a flood of one kind neither fills the log (pushing out the one SA_EXPIRED an
// operator needs) nor floods stderr. The next recorded alarm of that kind says how many were
// suppressed before it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace mcsec::control {

struct DaemonAlarm {
    std::chrono::system_clock::time_point time;
    std::string kind;              // SA_EXPIRED, MALFORMED_PACKET, SERVER_CONFLICT, SIGN_FAILED
    std::string origin = "local";  // or "received": a peer sent it in a registration ALARM
    std::string group;
    std::string peer;
    std::uint32_t spi = 0;
    std::string detail;
};

class DaemonAlarmLog {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    static constexpr std::size_t kCapacity = 256;  // the newest are kept
    static constexpr unsigned kBurst = 10;         // alarms of one kind recorded back to back
    static constexpr std::chrono::milliseconds kRefill{1000};  // then one per this interval

    struct KindCounters {
        std::uint64_t raised = 0;      // recorded
        std::uint64_t suppressed = 0;  // throttled: counted only
    };

    // Records `alarm` unless its kind is over its rate; returns whether it was recorded (the
    // caller logs exactly the recorded ones). `now` drives the throttle, alarm.time is shown.
    bool raise(DaemonAlarm alarm, TimePoint now);

    const std::deque<DaemonAlarm>& entries() const noexcept { return entries_; }
    // Per kind ("SIGN_FAILED", ...), for the API's counters.
    const std::map<std::string, KindCounters>& counters() const noexcept { return counters_; }

  private:
    struct Bucket {
        double tokens = kBurst;
        TimePoint refilled{};
        std::uint64_t suppressed_since_last = 0;
    };

    std::deque<DaemonAlarm> entries_;
    std::map<std::string, Bucket> buckets_;  // by kind and origin
    std::map<std::string, KindCounters> counters_;
};

}  // namespace mcsec::control
