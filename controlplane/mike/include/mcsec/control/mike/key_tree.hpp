// The public state of a MIKE group's TGDH key tree: its shape, the member at every leaf, the
// blinded key (X25519 public key) of every node and the epoch. It holds no secret, so the
// transaction manager (TM) can spread it as is.
//
// Membership operations are deterministic: every member that applies the same event to the same
// tree gets the same tree, the same new epoch and the same sponsor. The sponsor then refreshes
// its leaf secret and publishes the blinded keys on its path (TreeMember::sponsor); until then the
// keys it will replace are absent and no member can compute the new group key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/mike/mike_error.hpp"
#include "mcsec/control/mike/x25519.hpp"

namespace mcsec::control::mike {

using NodeIndex = std::uint32_t;
inline constexpr NodeIndex kNoNode = 0xFFFF'FFFFu;

// A node id of the wire formats (wire::is_valid_node_id): 1..32 of [A-Za-z0-9_-].
bool is_valid_member_id(std::string_view id) noexcept;
inline constexpr std::size_t kMaxMemberIdBytes = 32;

struct TreeNode {
    NodeIndex parent = kNoNode;
    NodeIndex left = kNoNode;  // kNoNode on a leaf; an internal node always has both children
    NodeIndex right = kNoNode;
    NodeId member;  // leaves only
    std::optional<X25519PublicKey> blinded_key;

    bool is_leaf() const noexcept { return left == kNoNode; }
};

// What a membership operation decided; every member computes the same.
struct TreeChange {
    NodeId sponsor;  // empty only when the last member left
    std::uint64_t epoch = 0;
};

// What a sponsor publishes after a change: the blinded keys from its leaf up to the root.
struct PathUpdate {
    NodeId sponsor;
    std::uint64_t epoch = 0;
    std::vector<X25519PublicKey> path_keys;  // [0] = the sponsor's new leaf key, back = the root
};

class KeyTree {
  public:
    static constexpr std::size_t kMaxMembers = 1024;
    // Joins at the shallowest leaf keep the depth at or below log2(kMaxMembers) + 1 = 11; a
    // parsed tree may be deeper, up to this bound, which keeps every walk over it cheap.
    static constexpr std::size_t kMaxDepth = 32;

    KeyTree() = default;  // no members, epoch 0

    // A tree from nodes in pre-order (root first, left subtree before right) with consistent
    // links; nullopt unless every invariant the operations keep holds. Used by the parser.
    static std::optional<KeyTree> from_nodes(std::uint64_t epoch, std::vector<TreeNode> nodes);

    // Adds `member` with its leaf key. Its leaf goes next to the shallowest leaf (the rightmost of
    // the shallowest on a tie), which moves one level down under a new internal node. The joiner
    // is the sponsor: its secret is the fresh one on the new path.
    Result<TreeChange> join(const NodeId& member, const X25519PublicKey& leaf_key);
    // Removes `member`: its sibling subtree takes its parent's place. The sponsor is the
    // rightmost leaf of that sibling subtree and must refresh its leaf secret.
    Result<TreeChange> leave(const NodeId& member);
    // A rekey without a membership change (lifetime expiry): `member` is the sponsor.
    Result<TreeChange> refresh(const NodeId& member);

    // Installs a sponsor's published keys; the path's internal keys must be the ones the last
    // operation cleared (same epoch, sponsor a member, one key per node on its path).
    MikeError apply_path_update(const PathUpdate& update);

    std::uint64_t epoch() const noexcept { return epoch_; }
    bool empty() const noexcept { return nodes_.empty(); }
    std::size_t member_count() const noexcept { return member_count_; }
    // Members from left to right.
    std::vector<NodeId> members() const;
    // True when every node has its blinded key, i.e. the group key can be computed.
    bool complete() const noexcept;

    // Nodes in pre-order; index 0 is the root.
    std::span<const TreeNode> nodes() const noexcept { return nodes_; }
    std::optional<NodeIndex> find_leaf(std::string_view member) const noexcept;
    NodeIndex sibling(NodeIndex node) const noexcept;
    // `from` and its ancestors up to the root, in that order.
    std::vector<NodeIndex> path_to_root(NodeIndex from) const;
    std::size_t depth(NodeIndex node) const noexcept;

  private:
    // Lays the nodes reachable from `root` out in pre-order again after an operation.
    void canonicalize(NodeIndex root);
    void clear_internal_keys_above(NodeIndex leaf) noexcept;
    NodeIndex rightmost_leaf(NodeIndex subtree) const noexcept;
    MikeError advance_epoch() noexcept;

    std::vector<TreeNode> nodes_;
    std::size_t member_count_ = 0;
    std::uint64_t epoch_ = 0;
};

}  // namespace mcsec::control::mike
