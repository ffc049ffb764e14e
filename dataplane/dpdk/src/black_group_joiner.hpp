// Black-side group membership (DESIGN.md: "the black groups for subscribed red groups are
// joined on the black side"). For every inbound SA whose red group has a member on some red
// port, the kernel TAPs join the SA's black group; when the last member leaves or the SA goes,
// they leave it. The kernel then speaks IGMP/MLD for us (reports, answers to queriers) through
// the TAP and out of the black port, so snooping switches and multicast routers on the black
// network send this appliance the groups' ESP and nothing else.
//
// Runs on an ordinary thread beside the lcores, reading the SA table and the membership table
// (both lock-free for readers); never on the packet path.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mcsec/dataplane/membership.hpp"
#include "mcsec/shm/region.hpp"

namespace mcsec::dataplane {

class BlackGroupJoiner {
  public:
    BlackGroupJoiner(shm::Region& region, const MembershipTable& membership,
                     std::vector<uint32_t> red_indexes, std::vector<std::string> tap_names);
    ~BlackGroupJoiner();
    BlackGroupJoiner(const BlackGroupJoiner&) = delete;
    BlackGroupJoiner& operator=(const BlackGroupJoiner&) = delete;

    // One pass: join what is newly wanted, leave what no longer is; each change is logged on
    // stdout. Failures are reported on stderr once per group and retried on the next pass.
    void refresh();
    size_t joined() const { return joined_.size(); }

  private:
    using Membership = std::pair<std::string, size_t>;  // 16 address bytes, TAP index
    std::set<std::string> wanted_groups();
    bool change(const std::string& group, size_t tap, bool join);

    shm::Region& region_;
    const MembershipTable& membership_;
    std::vector<uint32_t> red_indexes_;
    std::vector<std::string> tap_names_;
    std::vector<unsigned> tap_ifindexes_;
    int socket_v4_ = -1;
    int socket_v6_ = -1;
    std::set<Membership> joined_;
    std::set<Membership> reported_;  // failures already reported
};

}  // namespace mcsec::dataplane
