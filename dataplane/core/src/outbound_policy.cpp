#include "mcsec/dataplane/outbound_policy.hpp"

namespace mcsec::dataplane {

OutboundVerdict OutboundPolicy::classify(const esp::PacketBuffer& packet) {
    esp::IpHeaderInfo ip;
    if (esp::parse_ip_header(packet.bytes(), ip) != esp::IpParseStatus::Ok) {
        return {shm::PolicyAction::Discard, nullptr, esp::DropReason::InnerMalformed};
    }
    return classify(ip);
}

OutboundVerdict OutboundPolicy::classify(const esp::IpHeaderInfo& ip) {
    if (memo_valid_ && ip.destination == memo_group_ && ip.source == memo_source_) return memo_;
    memo_ = lookup(ip);
    memo_group_ = ip.destination;
    memo_source_ = ip.source;
    memo_valid_ = true;
    return memo_;
}

OutboundVerdict OutboundPolicy::lookup(const esp::IpHeaderInfo& ip) {
    const auto policy = reader_.find_policy(ip.destination, ip.source);
    if (!policy) return {shm::PolicyAction::Discard, nullptr, esp::DropReason::NoPolicy};
    switch (shm::policy_action(*policy)) {
        case shm::PolicyAction::Bypass:
            return {shm::PolicyAction::Bypass, nullptr, esp::DropReason::NoPolicy};
        case shm::PolicyAction::Protect: {
            esp::OutboundSa* sa = cache_.outbound(shm::policy_slot(*policy));
            if (sa == nullptr || esp::flag_set(sa->runtime->hard_expired)) {
                return {shm::PolicyAction::Discard, nullptr, esp::DropReason::NoOutboundSa};
            }
            // A group protected only for some sources (a prefix selector) discards the rest.
            if (sa->red_source && !sa->red_source->contains(ip.source)) break;
            return {shm::PolicyAction::Protect, sa, esp::DropReason::NoPolicy};
        }
        case shm::PolicyAction::Discard:
            break;
    }
    return {shm::PolicyAction::Discard, nullptr, esp::DropReason::PolicyDiscard};
}

}  // namespace mcsec::dataplane
