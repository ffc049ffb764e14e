// Snooping red-side group membership: IGMPv2/v3 (RFC 2236, RFC 3376) and MLDv1/v2 (RFC 2710,
// RFC 3810) reports and leaves, parsed from untrusted bytes with every read bounds-checked.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mcsec/esp/ip_header.hpp"

namespace mcsec::dataplane {

struct MembershipChange {
    esp::IpAddress group;
    bool joined = false;  // false: the host left the group
};

enum class MembershipParse : uint8_t {
    NotMembership,  // some other packet: forward it as usual
    Report,         // a membership message; `changes` lists what it says (may be empty)
    Malformed,      // a membership message that does not parse: drop and count it
};

// Looks at one IP packet (starting at the IP header). Appends at most `max_changes` changes.
MembershipParse parse_membership(std::span<const uint8_t> ip_packet,
                                 std::vector<MembershipChange>& changes, size_t max_changes = 64);

}  // namespace mcsec::dataplane
