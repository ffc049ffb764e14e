#include "mcsec/dataplane/igmp_mld.hpp"

#include "mcsec/esp/byte_order.hpp"

namespace mcsec::dataplane {

namespace {

constexpr uint8_t kIpProtoIgmp = 2;
constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpProtoIcmpv6 = 58;

// IGMPv3 / MLDv2 record types (RFC 3376 4.2.12, RFC 3810 5.2.12).
constexpr uint8_t kModeIsInclude = 1, kModeIsExclude = 2, kChangeToInclude = 3,
                  kChangeToExclude = 4, kAllowNewSources = 5;

// A v3 record's verdict: EXCLUDE (any mode) means "send me the group"; INCLUDE with sources or
// ALLOW means "send me these sources" (we forward per group, so: joined); INCLUDE {} means left.
// BLOCK changes nothing we track.
bool record_effect(uint8_t type, uint16_t sources, bool& joined) {
    switch (type) {
        case kModeIsExclude:
        case kChangeToExclude:
        case kAllowNewSources:
            joined = true;
            return true;
        case kModeIsInclude:
        case kChangeToInclude:
            joined = sources > 0;
            return true;
        default:
            return false;
    }
}

MembershipParse parse_v3_records(std::span<const uint8_t> msg, size_t records_offset,
                                 uint16_t count, size_t address_length,
                                 std::vector<MembershipChange>& changes, size_t max_changes) {
    size_t off = records_offset;
    for (uint16_t r = 0; r < count; ++r) {
        if (off + 4 + address_length > msg.size()) return MembershipParse::Malformed;
        const uint8_t type = msg[off];
        const size_t aux_words = msg[off + 1];
        const uint16_t sources = esp::load_be16(&msg[off + 2]);
        const uint8_t* group = &msg[off + 4];
        const size_t length = 4 + address_length + size_t{sources} * address_length + aux_words * 4;
        if (off + length > msg.size()) return MembershipParse::Malformed;
        bool joined = false;
        if (record_effect(type, sources, joined) && changes.size() < max_changes) {
            const esp::IpAddress g = address_length == 4 ? esp::IpAddress::from_v4(group)
                                                         : esp::IpAddress::from_v6(group);
            if (g.is_multicast()) changes.push_back({g, joined});
        }
        off += length;
    }
    return MembershipParse::Report;
}

MembershipParse parse_igmp(std::span<const uint8_t> msg, std::vector<MembershipChange>& changes,
                           size_t max_changes) {
    if (msg.size() < 8) return MembershipParse::Malformed;
    const uint8_t type = msg[0];
    switch (type) {
        case 0x16:    // IGMPv2 membership report
        case 0x12:    // IGMPv1 membership report
        case 0x17: {  // IGMPv2 leave group
            const esp::IpAddress g = esp::IpAddress::from_v4(&msg[4]);
            if (!g.is_multicast()) return MembershipParse::Malformed;
            changes.push_back({g, type != 0x17});
            return MembershipParse::Report;
        }
        case 0x22:  // IGMPv3 membership report
            return parse_v3_records(msg, 8, esp::load_be16(&msg[6]), 4, changes, max_changes);
        default:
            return MembershipParse::Report;  // queries and others: ours to consume, no change
    }
}

MembershipParse parse_mld(std::span<const uint8_t> msg, std::vector<MembershipChange>& changes,
                          size_t max_changes) {
    if (msg.size() < 4) return MembershipParse::Malformed;
    const uint8_t type = msg[0];
    switch (type) {
        case 131:    // MLDv1 report
        case 132: {  // MLDv1 done
            if (msg.size() < 24) return MembershipParse::Malformed;
            const esp::IpAddress g = esp::IpAddress::from_v6(&msg[8]);
            if (!g.is_multicast()) return MembershipParse::Malformed;
            changes.push_back({g, type == 131});
            return MembershipParse::Report;
        }
        case 143:  // MLDv2 report
            if (msg.size() < 8) return MembershipParse::Malformed;
            return parse_v3_records(msg, 8, esp::load_be16(&msg[6]), 16, changes, max_changes);
        case 130:  // query
            return MembershipParse::Report;
        default:
            return MembershipParse::NotMembership;  // other ICMPv6 (ND, ...)
    }
}

MembershipParse parse_packet(std::span<const uint8_t> ip_packet,
                             std::vector<MembershipChange>& changes, size_t max_changes);

}  // namespace

MembershipParse parse_membership(std::span<const uint8_t> ip_packet,
                                 std::vector<MembershipChange>& changes, size_t max_changes) {
    // A malformed message changes nothing, not even the records before the bad one.
    const size_t before = changes.size();
    const MembershipParse result = parse_packet(ip_packet, changes, max_changes);
    if (result == MembershipParse::Malformed) changes.resize(before);
    return result;
}

namespace {
MembershipParse parse_packet(std::span<const uint8_t> ip_packet,
                             std::vector<MembershipChange>& changes, size_t max_changes) {
    esp::IpHeaderInfo ip;
    if (esp::parse_ip_header(ip_packet, ip) != esp::IpParseStatus::Ok) {
        return MembershipParse::NotMembership;
    }
    const auto payload = ip_packet.subspan(ip.header_length, ip.total_length - ip.header_length);
    if (ip.family == esp::IpFamily::V4) {
        if (ip.protocol != kIpProtoIgmp) return MembershipParse::NotMembership;
        if (ip.is_fragment) return MembershipParse::Malformed;
        return parse_igmp(payload, changes, max_changes);
    }
    // MLD rides in ICMPv6 behind a hop-by-hop header (router alert); walk that one header.
    uint8_t next = ip.protocol;
    size_t off = 0;
    if (next == kIpv6HopByHop) {
        if (payload.size() < 8) return MembershipParse::Malformed;
        next = payload[0];
        off = (size_t{payload[1]} + 1) * 8;
        if (off > payload.size()) return MembershipParse::Malformed;
    }
    if (next != kIpProtoIcmpv6) return MembershipParse::NotMembership;
    return parse_mld(payload.subspan(off), changes, max_changes);
}
}  // namespace

}  // namespace mcsec::dataplane
