#include "mcsec/control/access/group_access.hpp"

#include <fnmatch.h>

#include <string>

namespace mcsec::control::access {

namespace {

bool glob_matches(const std::string& glob, const std::string& text) {
    return ::fnmatch(glob.c_str(), text.c_str(), 0) == 0;
}

bool any_matches(const std::string& glob, const std::vector<std::string>& values) {
    for (const auto& value : values) {
        if (glob_matches(glob, value)) return true;
    }
    return false;
}

// The best of the list's answers: one Yes admits, else one Unknown leaves it open.
Match match_any(const std::vector<config::AccessPattern>& patterns, const NodeFacts& node) {
    Match result = Match::No;
    for (const auto& pattern : patterns) {
        const Match match = matches(pattern, node);
        if (match == Match::Yes) return Match::Yes;
        if (match == Match::Unknown) result = Match::Unknown;
    }
    return result;
}

}  // namespace

std::string_view to_string(Role role) noexcept {
    switch (role) {
        case Role::Denied:
            return "denied";
        case Role::Unverified:
            return "unverified";
        case Role::Receiver:
            return "receiver";
        case Role::Sender:
            return "sender";
    }
    return "unknown";
}

Match matches(const config::AccessPattern& pattern, const NodeFacts& node) {
    using Kind = config::AccessPattern::Kind;
    if (pattern.kind == Kind::NodeId)
        return glob_matches(pattern.glob, node.node) ? Match::Yes : Match::No;
    if (!node.certificate) return Match::Unknown;
    const auto& values = pattern.kind == Kind::Ou ? node.certificate->organizational_units
                                                  : node.certificate->dns_names;
    return any_matches(pattern.glob, values) ? Match::Yes : Match::No;
}

Role role_in(const std::optional<config::GroupAccess>& access, const NodeFacts& node) {
    if (!access) return Role::Sender;
    switch (match_any(access->members, node)) {
        case Match::No:
            return Role::Denied;
        case Match::Unknown:
            return Role::Unverified;
        case Match::Yes:
            break;
    }
    if (!access->senders) return Role::Sender;
    switch (match_any(*access->senders, node)) {
        case Match::Yes:
            return Role::Sender;
        case Match::Unknown:
            // A member whose sending right hangs on an unseen certificate: it may hold the key
            // but not send until the certificate says so.
            return Role::Receiver;
        case Match::No:
            return Role::Receiver;
    }
    return Role::Receiver;
}

}  // namespace mcsec::control::access
