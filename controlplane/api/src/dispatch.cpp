#include "mcsec/control/api/dispatch.hpp"

#include <exception>

namespace mcsec::control::api {

namespace {

Json call_backend(OperatorBackend& backend, const Request& request) {
    switch (request.command) {
        case Command::Status:
            return backend.status();
        case Command::Peers:
            return backend.peers();
        case Command::Groups:
            return backend.groups();
        case Command::Sas:
            return backend.sas();
        case Command::Alarms:
            return backend.alarms();
        case Command::Counters:
            return backend.counters();
        case Command::Receivers:
            return backend.receivers(request.group.value_or(""));
        case Command::Rekey:
            return backend.rekey(request.group);
        case Command::Revoke:
            return backend.revoke(request.group.value_or(""), request.node.value_or(""));
        case Command::LkhRegister:
            return backend.lkh_register(request.group.value_or(""));
    }
    throw OperatorError("command not implemented");
}

}  // namespace

Json OperatorBackend::receivers(const std::string&) {
    throw OperatorError("this daemon has no LKH key distribution");
}
Json OperatorBackend::revoke(const std::string&, const std::string&) {
    throw OperatorError("this daemon has no LKH key distribution");
}
Json OperatorBackend::lkh_register(const std::string&) {
    throw OperatorError("this daemon has no LKH key distribution");
}

Json dispatch(OperatorBackend& backend, const Request& request) {
    try {
        return ok_response(call_backend(backend, request));
    } catch (const OperatorError& refused) {
        return error_response(ErrorCode::Rejected, refused.what());
    } catch (const std::exception& failed) {
        return error_response(ErrorCode::Internal, std::string(to_string(request.command)) +
                                                       " failed: " + failed.what());
    } catch (...) {
        return error_response(ErrorCode::Internal,
                              std::string(to_string(request.command)) + " failed");
    }
}

std::string handle_request_line(OperatorBackend& backend, std::string_view line) {
    const ParsedRequest parsed = parse_request(line);
    if (const auto* error = std::get_if<RequestError>(&parsed)) {
        return to_line(error_response(error->code, error->message));
    }
    return to_line(dispatch(backend, std::get<Request>(parsed)));
}

}  // namespace mcsec::control::api
