// libFuzzer target: IGMP/MLD snooping of arbitrary red-side packets, and the membership table
// fed with whatever the parser accepted.
#include <cstdint>
#include <vector>

#include "mcsec/dataplane/igmp_mld.hpp"
#include "mcsec/dataplane/membership.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static mcsec::dataplane::MembershipTable table(64);
    // Exactly-sized copy so ASan sees any read past the end.
    std::vector<uint8_t> packet(data, data + size);
    std::vector<mcsec::dataplane::MembershipChange> changes;
    const auto result = mcsec::dataplane::parse_membership(packet, changes, 16);
    if (result != mcsec::dataplane::MembershipParse::Report && !changes.empty()) __builtin_trap();
    if (changes.size() > 16 + 1) __builtin_trap();
    for (const auto& c : changes) {
        if (!c.group.is_multicast()) __builtin_trap();
        table.record(size % 4, c.group, c.joined);
        (void)table.subscribed(size % 4, c.group);
    }
    return 0;
}
