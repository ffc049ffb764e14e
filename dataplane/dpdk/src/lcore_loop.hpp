// The run-to-completion poll loop of one lcore: red rx -> SPD -> ESP encap -> black tx, and
// black rx -> SAD -> ESP decap -> inbound policy -> TTL -> red tx, in bursts of 32; plus the
// exception path between each black port and its kernel TAP.
#pragma once

#include <rte_mempool.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/dataplane/black_classify.hpp"
#include "mcsec/dataplane/membership.hpp"
#include "mcsec/shm/region.hpp"
#include "port.hpp"

namespace mcsec::dataplane {

struct LcoreTask {
    uint32_t index = 0;     // this lcore's LcoreState / Counters in the region
    uint16_t tx_queue = 0;  // its tx queue on every port
    struct Poll {
        const Port* port;
        uint16_t queue;
    };
    std::vector<Poll> polls;  // the rx queues it polls
    std::vector<const Port*> red_ports;
    std::vector<const Port*> black_ports;
    shm::Region* region = nullptr;
    rte_mempool* pool = nullptr;            // packet mbufs (ICMPv6 errors, fragment headers)
    rte_mempool* indirect_pool = nullptr;   // mtu_policy "fragment": fragments' data references
    MembershipTable* membership = nullptr;  // shared by all lcores; red port i = bit i
    const config::Dataplane* settings = nullptr;
    ExceptionRules exception_rules;  // which black frames go to the kernel TAP
    const std::atomic<bool>* stop = nullptr;
};

// Entry point for rte_eal_remote_launch (arg: LcoreTask*), also run on the main lcore.
int lcore_main(void* task);

}  // namespace mcsec::dataplane
