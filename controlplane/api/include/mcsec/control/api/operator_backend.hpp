// What mcsec-controld exposes to operators. The operator API server (operator_server.hpp)
// knows nothing about the daemon's internals: it parses requests, calls this interface and
// frames the answers. The daemon implements it; tests implement a fake. The shape of every
// result is specified in docs/protocol/operator-api.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace mcsec::control::api {

using Json = nlohmann::json;

// Thrown by a backend to refuse a request with a message meant for the operator, e.g. a rekey
// of a group this appliance does not protect. The client receives
// {"ok":false,"code":"rejected","error":<what()>}. Any other exception becomes an "internal"
// error; neither stops the server.
class OperatorError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class OperatorBackend {
  public:
    virtual ~OperatorBackend() = default;

    // Each returns the "result" member of the response. Called on the io_context thread the
    // server runs on, one request at a time, so the daemon needs no locking.
    virtual Json status() = 0;    // object
    virtual Json peers() = 0;     // array of objects
    virtual Json groups() = 0;    // array of objects
    virtual Json sas() = 0;       // array of objects; never key material
    virtual Json alarms() = 0;    // array of objects, oldest first
    virtual Json counters() = 0;  // object of named counters
    // Starts a rekey of `group` (its address as "groups" reports it), or of every protected
    // group when empty. Returns once the rekey is under way, not when the new key is agreed.
    virtual Json rekey(std::optional<std::string> group) = 0;
    // LKH (docs/protocol/lkh.md). A backend without LKH refuses them (OperatorError).
    // The group's LKH receivers (a sender box) or this box's registration (a receiver box).
    virtual Json receivers(const std::string& group);
    // Revokes receiver `node` of `group`; returns what was done.
    virtual Json revoke(const std::string& group, const std::string& node);
    // A receiver box under EMCON may transmit once: it registers `group` again.
    virtual Json lkh_register(const std::string& group);
};

}  // namespace mcsec::control::api
