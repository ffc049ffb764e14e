#include "black_group_joiner.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "mcsec/shm/monotonic.hpp"

namespace mcsec::dataplane {

BlackGroupJoiner::BlackGroupJoiner(shm::Region& region, const MembershipTable& membership,
                                   std::vector<uint32_t> red_indexes,
                                   std::vector<std::string> tap_names)
    : region_(region),
      membership_(membership),
      red_indexes_(std::move(red_indexes)),
      tap_names_(std::move(tap_names)),
      // Memberships belong to a socket: these two live as long as the joiner.
      socket_v4_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)),
      socket_v6_(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    for (const auto& name : tap_names_) tap_ifindexes_.push_back(if_nametoindex(name.c_str()));
}

BlackGroupJoiner::~BlackGroupJoiner() {
    if (socket_v4_ >= 0) close(socket_v4_);
    if (socket_v6_ >= 0) close(socket_v6_);
}

std::set<std::string> BlackGroupJoiner::wanted_groups() {
    std::set<std::string> wanted;
    const uint64_t now = shm::monotonic_seconds();
    for (uint32_t slot = 0; slot < region_.geometry().sa_slots; ++slot) {
        const shm::SaControl& c = region_.control(slot);
        // A slot may be reclaimed and reused while we read it: copy, then check that its
        // version and state did not move (a torn read is skipped until the next pass).
        const uint32_t version = c.version.load(std::memory_order_acquire);
        if (c.state.load(std::memory_order_acquire) !=
                static_cast<uint32_t>(shm::SlotState::Active) ||
            !(c.direction & shm::kInbound)) {
            continue;
        }
        const auto red_group = esp::IpAddress::from_v6(c.red_group);
        const auto black_group = esp::IpAddress::from_v6(c.tunnel_destination);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (c.version.load(std::memory_order_relaxed) != version || !black_group.is_multicast()) {
            continue;
        }
        for (const uint32_t red : red_indexes_) {
            if (membership_.subscribed(red, red_group, now)) {
                wanted.emplace(reinterpret_cast<const char*>(black_group.bytes.data()), 16);
                break;
            }
        }
    }
    return wanted;
}

bool BlackGroupJoiner::change(const std::string& group, size_t tap, bool join) {
    const unsigned ifindex = tap_ifindexes_[tap];
    const auto address = esp::IpAddress::from_v6(reinterpret_cast<const uint8_t*>(group.data()));
    int rc;
    if (address.is_v4()) {
        ip_mreqn request{};
        std::memcpy(&request.imr_multiaddr, address.v4_bytes(), 4);
        request.imr_ifindex = static_cast<int>(ifindex);
        rc = setsockopt(socket_v4_, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
                        &request, sizeof request);
    } else {
        ipv6_mreq request{};
        std::memcpy(&request.ipv6mr_multiaddr, address.bytes.data(), 16);
        request.ipv6mr_interface = ifindex;
        rc = setsockopt(socket_v6_, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP,
                        &request, sizeof request);
    }
    if (rc == 0 || !join) {
        std::printf("mcsec-dataplane: %s black group %s on %s\n", join ? "joined" : "left",
                    address.to_string().c_str(), tap_names_[tap].c_str());
        std::fflush(stdout);
        return true;
    }
    if (reported_.emplace(group, tap).second) {
        std::cerr << "mcsec-dataplane: cannot join black group " << address.to_string() << " on "
                  << tap_names_[tap] << ": " << std::strerror(errno) << "; retrying\n";
    }
    return false;
}

void BlackGroupJoiner::refresh() {
    const std::set<std::string> wanted = wanted_groups();
    for (auto it = joined_.begin(); it != joined_.end();) {
        if (wanted.count(it->first) == 0) {
            change(it->first, it->second, false);
            it = joined_.erase(it);
        } else {
            ++it;
        }
    }
    for (const std::string& group : wanted) {
        for (size_t tap = 0; tap < tap_ifindexes_.size(); ++tap) {
            if (joined_.count({group, tap}) == 0 && change(group, tap, true)) {
                joined_.emplace(group, tap);
            }
        }
    }
}

}  // namespace mcsec::dataplane
