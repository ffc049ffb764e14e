// The exception path (DESIGN.md): one kernel TAP per black port, so ARP/ND, black-side
// IGMP/MLD and the appliance's own traffic (controld's sockets, ping) reach the kernel and its
// answers leave by the black port. The TAP is named after the black port and carries its MTU
// and addresses (and a MAC of its own); the dataplane creates it at start and it vanishes when the
// dataplane stops.
#pragma once

#include <rte_mempool.h>

#include <string>
#include <vector>

#include "mcsec/config/config.hpp"
#include "port.hpp"

namespace mcsec::dataplane {

// Appends a TAP port for every black port in `ports` and links each pair (has_tap/is_tap).
// False with `error` naming the port and the step that failed.
bool open_exception_taps(const config::ApplianceConfig& config, rte_mempool* pool,
                         uint16_t tx_queues, std::vector<Port>& ports, std::string& error);

}  // namespace mcsec::dataplane
