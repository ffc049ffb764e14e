// What mcsec-controld tells its operator: the daemon's side of the operator API
// (docs/protocol/operator-api.md). Reads the daemon's state; the one request that changes
// anything is rekey, which the daemon starts where this node is the transaction manager.
#pragma once

#include "daemon.hpp"
#include "mcsec/control/api/operator_backend.hpp"

namespace mcsec::control {

class DaemonOperatorBackend final : public api::OperatorBackend {
  public:
    explicit DaemonOperatorBackend(Daemon& daemon) : daemon_(daemon) {}

    api::Json status() override;
    api::Json peers() override;
    api::Json groups() override;
    api::Json sas() override;
    api::Json alarms() override;
    api::Json counters() override;
    api::Json rekey(std::optional<std::string> group) override;
    api::Json receivers(const std::string& group) override;
    api::Json revoke(const std::string& group, const std::string& node) override;
    api::Json lkh_register(const std::string& group) override;

  private:
    Daemon& daemon_;
};

}  // namespace mcsec::control
