#include "mcsec/control/registration/alarm_sender.hpp"

#include <utility>

namespace mcsec::control::registration {

bool AlarmSender::send(MessageSigner& signer, const NodeId& to, const config::IpAddress& group,
                       AlarmBody body, idp::TimePoint now, Outbox& out) {
    if (last_sent_.size() >= kSweepThreshold) {
        std::erase_if(last_sent_,
                      [&](const auto& entry) { return now - entry.second >= holdoff_; });
    }
    const Key key{to, group, body.kind};
    if (const auto last = last_sent_.find(key);
        last != last_sent_.end() && now - last->second < holdoff_) {
        return false;
    }
    last_sent_[key] = now;
    out.datagrams.push_back(Outgoing{to, signer.sign(group, std::move(body))});
    return true;
}

}  // namespace mcsec::control::registration
