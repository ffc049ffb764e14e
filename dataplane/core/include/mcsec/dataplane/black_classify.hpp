// What a frame arriving on a black port is for: the ESP fast path, the appliance's own kernel
// (through the exception TAP), or nothing. Decided from the Ethernet and IP headers alone,
// before any SA lookup, so the decap stage only ever sees ESP.
//
// To the kernel go: ARP; IGMP, ICMPv6 and IPv6 hop-by-hop (neighbour discovery and MLD live
// there); unicast IP that is not ESP (traffic to the appliance's own addresses: ping, the
// control plane's TLS, anything the kernel then accepts or rejects); and UDP to the control
// plane's discovery group. Other multicast that is not ESP is dropped here (not_esp): the
// black network has no business sending plaintext to the appliance's groups.
#pragma once

#include <cstdint>
#include <optional>

#include "mcsec/esp/drop_reason.hpp"
#include "mcsec/esp/ip_header.hpp"

namespace mcsec::dataplane {

// EspFragment: an outer fragment of an ESP packet, to be reassembled before decap.
enum class BlackVerdict : uint8_t { Esp, EspFragment, Exception, Drop };

struct BlackClassification {
    BlackVerdict verdict = BlackVerdict::Drop;
    esp::DropReason reason = esp::DropReason::NotEsp;  // when verdict is Drop
};

struct ExceptionRules {
    bool tap_enabled = false;                       // exception_path = "tap"
    std::optional<esp::IpAddress> discovery_group;  // config [discovery].group, if any
};

BlackClassification classify_black_frame(const uint8_t* frame, uint32_t length,
                                         const ExceptionRules& rules);

}  // namespace mcsec::dataplane
