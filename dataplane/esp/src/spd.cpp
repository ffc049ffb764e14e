#include "mcsec/esp/spd.hpp"

#include <cstring>

namespace mcsec::esp {

uint32_t SpdKeyHash::operator()(const SpdKey& k) const {
    uint64_t g[2], s[2];
    std::memcpy(g, k.group.bytes.data(), sizeof(g));
    std::memcpy(s, k.source.bytes.data(), sizeof(s));
    const uint64_t h = (g[0] ^ (g[1] * 0x9e3779b97f4a7c15ULL) ^ (s[0] * 0xc2b2ae3d27d4eb4fULL) ^
                        (s[1] * 0x165667b19e3779f9ULL)) *
                       0x9e3779b97f4a7c15ULL;
    return static_cast<uint32_t>(h >> 32);
}

bool Spd::add(const IpAddress& group, const SpdEntry& entry) {
    return map_.insert(SpdKey{group, IpAddress{}, true}, entry);
}

bool Spd::add(const IpAddress& group, const IpAddress& source, const SpdEntry& entry) {
    const bool is_new = map_.find(SpdKey{group, source, false}) == nullptr;
    if (!map_.insert(SpdKey{group, source, false}, entry)) return false;
    if (is_new) ++source_specific_;
    return true;
}

bool Spd::remove(const IpAddress& group) {
    return map_.erase(SpdKey{group, IpAddress{}, true});
}

bool Spd::remove(const IpAddress& group, const IpAddress& source) {
    if (!map_.erase(SpdKey{group, source, false})) return false;
    --source_specific_;
    return true;
}

SpdVerdict Spd::lookup(const IpAddress& group, const IpAddress& source) const {
    const SpdEntry* entry = nullptr;
    if (source_specific_ > 0) entry = map_.find(SpdKey{group, source, false});
    if (entry == nullptr) entry = map_.find(SpdKey{group, IpAddress{}, true});
    if (entry == nullptr) return {PolicyAction::Discard, nullptr, DropReason::NoPolicy};
    switch (entry->action) {
        case PolicyAction::Discard:
            return {PolicyAction::Discard, nullptr, DropReason::PolicyDiscard};
        case PolicyAction::Bypass:
            return {PolicyAction::Bypass, nullptr, DropReason::NoPolicy};
        case PolicyAction::Protect:
            if (entry->sa == nullptr || flag_set(entry->sa->runtime->hard_expired)) {
                return {PolicyAction::Discard, nullptr, DropReason::NoOutboundSa};
            }
            return {PolicyAction::Protect, entry->sa, DropReason::NoPolicy};
    }
    return {PolicyAction::Discard, nullptr, DropReason::NoPolicy};
}

SpdVerdict Spd::classify(const PacketBuffer& packet) const {
    IpHeaderInfo ip;
    if (parse_ip_header(packet.bytes(), ip) != IpParseStatus::Ok) {
        return {PolicyAction::Discard, nullptr, DropReason::InnerMalformed};
    }
    return lookup(ip.destination, ip.source);
}

}  // namespace mcsec::esp
