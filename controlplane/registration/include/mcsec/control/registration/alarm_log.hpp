// The alarms a node raised or received, kept for the operator API ("show alarms") and handed to
// the daemon's log as they happen. Bounded: a flood of malformed datagrams must not grow memory,
// so the log keeps the newest records and counts every one by kind.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "mcsec/control/registration/messages.hpp"

namespace mcsec::control::registration {

enum class AlarmOrigin : std::uint8_t {
    Local,     // this node detected it
    Received,  // a peer sent it in an ALARM message (signature checked)
};

std::string_view to_string(AlarmOrigin origin) noexcept;

struct AlarmRecord {
    AlarmKind kind = AlarmKind::MalformedPacket;
    AlarmOrigin origin = AlarmOrigin::Local;
    // The group concerned; absent when the datagram was too broken to name one.
    std::optional<config::IpAddress> group;
    // The peer concerned: the sender of a received ALARM or of the offending message, the other
    // TM of a conflict. For an unparsable datagram, the source the daemon passed in.
    std::string peer;
    idp::TimePoint time{};
    std::uint32_t spi = 0;  // the SA concerned, 0 if none
    std::string detail;

    friend bool operator==(const AlarmRecord&, const AlarmRecord&) = default;
};

inline constexpr std::size_t kAlarmKindCount = 4;

class AlarmLog {
  public:
    static constexpr std::size_t kDefaultCapacity = 256;

    explicit AlarmLog(std::size_t capacity = kDefaultCapacity);

    void raise(AlarmRecord record);
    // Newest last; at most `capacity` records.
    const std::deque<AlarmRecord>& recent() const noexcept { return recent_; }
    // Every alarm ever raised of `kind`, including those the bounded log has dropped.
    std::uint64_t total(AlarmKind kind) const noexcept;
    // The operator's "clear alarms": empties the list, keeps the totals.
    void clear() noexcept { recent_.clear(); }

  private:
    std::size_t capacity_;
    std::deque<AlarmRecord> recent_;
    std::array<std::uint64_t, kAlarmKindCount> totals_{};
};

}  // namespace mcsec::control::registration
