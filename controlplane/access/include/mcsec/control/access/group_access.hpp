// The group policy database's decisions (docs/protocol/mike.md, "Group access"): what role a node
// may have in a protected group, from the group's access list (config GroupAccess) and what is
// known of the node. Every node decides alike from its own config, so the TM's joins, the
// election, and each member's check of the tree it is handed agree without a message.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mcsec/config/config.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/certificate_attributes.hpp"

namespace mcsec::control::access {

enum class Role : std::uint8_t {
    Denied,      // matches no member pattern: never joined, elected or left in a tree
    Unverified,  // only a certificate pattern could admit it and its certificate is not known
                 // yet (no hello heard): treated as Denied until it is
    Receiver,    // a member that is not a sender: gets the group key, never sends under it
    Sender,      // a member that may send (and be the group's TM)
};

std::string_view to_string(Role role) noexcept;

// What is known of a node: its id, and its certificate's attributes once its hello was verified
// (nullopt before that, and always with a PSK identity, which has no certificates).
struct NodeFacts {
    NodeId node;
    std::optional<identity::CertificateAttributes> certificate;
};

// Whether `pattern` matches `node`: glob over the node id, an OU or a DNS SAN. An attribute
// pattern on a node without known attributes is "unknown", not "no".
enum class Match : std::uint8_t { No, Yes, Unknown };
Match matches(const config::AccessPattern& pattern, const NodeFacts& node);

// The node's role in a group with `access` (nullopt: an open group, everyone is a Sender).
Role role_in(const std::optional<config::GroupAccess>& access, const NodeFacts& node);

// Whether the role holds the group key (Receiver or Sender).
constexpr bool is_member(Role role) noexcept {
    return role == Role::Receiver || role == Role::Sender;
}

}  // namespace mcsec::control::access
