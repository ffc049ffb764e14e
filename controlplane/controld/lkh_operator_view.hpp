// What the operator API shows of LKH (docs/protocol/operator-api.md): a sender box's receivers
// and key-server counters, a receiver box's registration per group. JSON only; no keys.
#pragma once

#include <string>

#include "daemon.hpp"
#include "mcsec/control/api/operator_backend.hpp"

namespace mcsec::control {

// `mcsecctl show receivers GROUP`: on the group's TM the admitted receivers and the tree; on
// another sender what it knows (not serving, revocations given here); on a receiver box its own
// registration. Throws std::invalid_argument for a group without LKH on this box.
api::Json lkh_receivers_view(const Daemon& daemon, const std::string& group);
// The "lkh" member of `show counters`: null on a box without LKH.
api::Json lkh_counters_view(const Daemon& daemon);
// A receiver box's rows of `show groups` (it runs no MIKE engines).
api::Json lkh_receiver_group_rows(const Daemon& daemon);

}  // namespace mcsec::control
