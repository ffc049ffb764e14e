#include "mcsec/dataplane/black_classify.hpp"

#include "mcsec/dataplane/ethernet.hpp"

namespace mcsec::dataplane {

namespace {

constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint8_t kIpProtoHopByHop = 0;
constexpr uint8_t kIpProtoIgmp = 2;
constexpr uint8_t kIpProtoUdp = 17;
constexpr uint8_t kIpProtoIcmpv6 = 58;
constexpr uint8_t kIpProtoFragment = 44;  // IPv6 fragment header

BlackClassification drop(esp::DropReason reason) {
    return {BlackVerdict::Drop, reason};
}

BlackClassification to_kernel(const ExceptionRules& rules, esp::DropReason otherwise) {
    return rules.tap_enabled ? BlackClassification{BlackVerdict::Exception, otherwise}
                             : drop(otherwise);
}

}  // namespace

BlackClassification classify_black_frame(const uint8_t* frame, uint32_t length,
                                         const ExceptionRules& rules) {
    if (length < kEthernetHeaderLen) return drop(esp::DropReason::NotIp);
    const auto ether_type = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
    if (ether_type == kEtherTypeArp) return to_kernel(rules, esp::DropReason::NotIp);
    const uint32_t l3 = ip_offset(frame, length);
    if (l3 == 0) return drop(esp::DropReason::NotIp);

    esp::IpHeaderInfo ip;
    if (esp::parse_ip_header({frame + l3, length - l3}, ip) != esp::IpParseStatus::Ok) {
        // Let the decap stage count it by its precise reason (truncated, bad length...).
        return {BlackVerdict::Esp, esp::DropReason::NotEsp};
    }
    if (ip.protocol == esp::kIpProtoEsp) {
        return {ip.is_fragment ? BlackVerdict::EspFragment : BlackVerdict::Esp,
                esp::DropReason::NotEsp};
    }
    // An IPv6 fragment header right after the fixed header, announcing ESP (its first byte).
    if (ip.family == esp::IpFamily::V6 && ip.protocol == kIpProtoFragment &&
        length >= l3 + esp::kIpv6HeaderLen + 8 &&
        frame[l3 + esp::kIpv6HeaderLen] == esp::kIpProtoEsp) {
        return {BlackVerdict::EspFragment, esp::DropReason::NotEsp};
    }
    const bool control_protocol =
        ip.family == esp::IpFamily::V4
            ? ip.protocol == kIpProtoIgmp
            : (ip.protocol == kIpProtoIcmpv6 || ip.protocol == kIpProtoHopByHop);
    if (control_protocol || !ip.destination.is_multicast()) {
        return to_kernel(rules, esp::DropReason::NotEsp);
    }
    if (ip.protocol == kIpProtoUdp && rules.discovery_group &&
        ip.destination == *rules.discovery_group) {
        return to_kernel(rules, esp::DropReason::NotEsp);
    }
    return drop(esp::DropReason::NotEsp);
}

}  // namespace mcsec::dataplane
