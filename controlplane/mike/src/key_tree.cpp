#include "mcsec/control/mike/key_tree.hpp"

#include <algorithm>
#include <limits>
#include <string_view>
#include <utility>

#include "mcsec/control/wire/node_id.hpp"

namespace mcsec::control::mike {

bool is_valid_member_id(std::string_view id) noexcept {
    return wire::is_valid_node_id(id);
}

std::optional<KeyTree> KeyTree::from_nodes(std::uint64_t epoch, std::vector<TreeNode> nodes) {
    KeyTree tree;
    tree.epoch_ = epoch;
    if (nodes.empty()) return tree;
    if (nodes.size() > 2 * kMaxMembers - 1 || nodes[0].parent != kNoNode) return std::nullopt;

    // Walk in pre-order from the root with an explicit stack; every node must be the next one
    // in the vector, so the walk also proves the layout is the canonical pre-order.
    struct Pending {
        NodeIndex node;
        NodeIndex parent;
        std::size_t depth;
    };
    std::vector<Pending> stack{{0, kNoNode, 0}};
    std::vector<std::string_view> ids;
    NodeIndex expected = 0;
    while (!stack.empty()) {
        const Pending item = stack.back();
        stack.pop_back();
        if (item.node != expected || item.node >= nodes.size() || item.depth > kMaxDepth) {
            return std::nullopt;
        }
        ++expected;
        const TreeNode& node = nodes[item.node];
        if (node.parent != item.parent) return std::nullopt;
        if (node.is_leaf()) {
            if (node.right != kNoNode || !is_valid_member_id(node.member) ||
                !node.blinded_key.has_value()) {
                return std::nullopt;
            }
            ids.push_back(node.member);
        } else {
            if (node.right == kNoNode || !node.member.empty()) return std::nullopt;
            stack.push_back({node.right, item.node, item.depth + 1});
            stack.push_back({node.left, item.node, item.depth + 1});
        }
    }
    if (expected != nodes.size() || ids.size() > kMaxMembers) return std::nullopt;
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return std::nullopt;

    tree.member_count_ = ids.size();
    tree.nodes_ = std::move(nodes);
    return tree;
}

Result<TreeChange> KeyTree::join(const NodeId& member, const X25519PublicKey& leaf_key) {
    if (!is_valid_member_id(member)) return MikeError::InvalidMemberId;
    if (find_leaf(member)) return MikeError::DuplicateMember;
    if (member_count_ >= kMaxMembers) return MikeError::TooManyMembers;
    if (const MikeError error = advance_epoch(); error != MikeError::Ok) return error;

    TreeNode leaf;
    leaf.member = member;
    leaf.blinded_key = leaf_key;
    if (nodes_.empty()) {
        nodes_.push_back(std::move(leaf));
        member_count_ = 1;
        return TreeChange{member, epoch_};
    }

    // The shallowest leaf; pre-order meets leaves left to right, so ">=" keeps the rightmost.
    NodeIndex target = kNoNode;
    std::size_t target_depth = std::numeric_limits<std::size_t>::max();
    for (NodeIndex i = 0; i < nodes_.size(); ++i) {
        if (!nodes_[i].is_leaf()) continue;
        const std::size_t d = depth(i);
        if (d <= target_depth) {
            target = i;
            target_depth = d;
        }
    }

    // The target leaf becomes the left child of a new internal node, the joiner the right one.
    const auto internal = static_cast<NodeIndex>(nodes_.size());
    const auto joiner = static_cast<NodeIndex>(nodes_.size() + 1);
    const NodeIndex parent = nodes_[target].parent;
    TreeNode joint;
    joint.parent = parent;
    joint.left = target;
    joint.right = joiner;
    leaf.parent = internal;
    nodes_.push_back(std::move(joint));
    nodes_.push_back(std::move(leaf));
    nodes_[target].parent = internal;
    NodeIndex root = 0;
    if (parent == kNoNode) {
        root = internal;
    } else if (nodes_[parent].left == target) {
        nodes_[parent].left = internal;
    } else {
        nodes_[parent].right = internal;
    }
    clear_internal_keys_above(joiner);
    ++member_count_;
    canonicalize(root);
    return TreeChange{member, epoch_};
}

Result<TreeChange> KeyTree::leave(const NodeId& member) {
    const std::optional<NodeIndex> leaf = find_leaf(member);
    if (!leaf) return MikeError::UnknownMember;
    if (const MikeError error = advance_epoch(); error != MikeError::Ok) return error;

    if (member_count_ == 1) {
        nodes_.clear();
        member_count_ = 0;
        return TreeChange{NodeId{}, epoch_};
    }

    const NodeIndex parent = nodes_[*leaf].parent;
    const NodeIndex survivor = sibling(*leaf);
    const NodeIndex grandparent = nodes_[parent].parent;
    nodes_[survivor].parent = grandparent;
    NodeIndex root = 0;
    if (grandparent == kNoNode) {
        root = survivor;
    } else if (nodes_[grandparent].left == parent) {
        nodes_[grandparent].left = survivor;
    } else {
        nodes_[grandparent].right = survivor;
    }
    const NodeIndex sponsor = rightmost_leaf(survivor);
    NodeId sponsor_id = nodes_[sponsor].member;
    clear_internal_keys_above(sponsor);
    --member_count_;
    canonicalize(root);
    return TreeChange{std::move(sponsor_id), epoch_};
}

Result<TreeChange> KeyTree::refresh(const NodeId& member) {
    const std::optional<NodeIndex> leaf = find_leaf(member);
    if (!leaf) return MikeError::UnknownMember;
    if (const MikeError error = advance_epoch(); error != MikeError::Ok) return error;
    clear_internal_keys_above(*leaf);
    return TreeChange{member, epoch_};
}

MikeError KeyTree::apply_path_update(const PathUpdate& update) {
    if (update.epoch != epoch_) return MikeError::StaleUpdate;
    const std::optional<NodeIndex> leaf = find_leaf(update.sponsor);
    if (!leaf) return MikeError::BadPathUpdate;
    const std::vector<NodeIndex> path = path_to_root(*leaf);
    if (update.path_keys.size() != path.size()) return MikeError::BadPathUpdate;
    for (std::size_t i = 0; i < path.size(); ++i) nodes_[path[i]].blinded_key = update.path_keys[i];
    return MikeError::Ok;
}

std::vector<NodeId> KeyTree::members() const {
    std::vector<NodeId> ids;
    ids.reserve(member_count_);
    for (const TreeNode& node : nodes_) {
        if (node.is_leaf()) ids.push_back(node.member);
    }
    return ids;
}

bool KeyTree::complete() const noexcept {
    return std::all_of(nodes_.begin(), nodes_.end(),
                       [](const TreeNode& node) { return node.blinded_key.has_value(); });
}

std::optional<NodeIndex> KeyTree::find_leaf(std::string_view member) const noexcept {
    for (NodeIndex i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].is_leaf() && nodes_[i].member == member) return i;
    }
    return std::nullopt;
}

NodeIndex KeyTree::sibling(NodeIndex node) const noexcept {
    const NodeIndex parent = nodes_[node].parent;
    if (parent == kNoNode) return kNoNode;
    return nodes_[parent].left == node ? nodes_[parent].right : nodes_[parent].left;
}

std::vector<NodeIndex> KeyTree::path_to_root(NodeIndex from) const {
    std::vector<NodeIndex> path;
    for (NodeIndex node = from; node != kNoNode; node = nodes_[node].parent) path.push_back(node);
    return path;
}

std::size_t KeyTree::depth(NodeIndex node) const noexcept {
    std::size_t d = 0;
    for (NodeIndex n = nodes_[node].parent; n != kNoNode; n = nodes_[n].parent) ++d;
    return d;
}

void KeyTree::canonicalize(NodeIndex root) {
    std::vector<TreeNode> ordered;
    ordered.reserve(nodes_.size());
    struct Pending {
        NodeIndex old_index;
        NodeIndex new_parent;
        bool is_right;
    };
    std::vector<Pending> stack{{root, kNoNode, false}};
    while (!stack.empty()) {
        const Pending item = stack.back();
        stack.pop_back();
        const auto index = static_cast<NodeIndex>(ordered.size());
        TreeNode node = std::move(nodes_[item.old_index]);
        const NodeIndex old_left = node.left;
        const NodeIndex old_right = node.right;
        node.parent = item.new_parent;
        node.left = kNoNode;
        node.right = kNoNode;
        if (item.new_parent != kNoNode) {
            (item.is_right ? ordered[item.new_parent].right : ordered[item.new_parent].left) =
                index;
        }
        ordered.push_back(std::move(node));
        if (old_left != kNoNode) {
            stack.push_back({old_right, index, true});
            stack.push_back({old_left, index, false});
        }
    }
    nodes_ = std::move(ordered);
}

void KeyTree::clear_internal_keys_above(NodeIndex leaf) noexcept {
    for (NodeIndex n = nodes_[leaf].parent; n != kNoNode; n = nodes_[n].parent) {
        nodes_[n].blinded_key.reset();
    }
}

NodeIndex KeyTree::rightmost_leaf(NodeIndex subtree) const noexcept {
    NodeIndex node = subtree;
    while (!nodes_[node].is_leaf()) node = nodes_[node].right;
    return node;
}

MikeError KeyTree::advance_epoch() noexcept {
    if (epoch_ == std::numeric_limits<std::uint64_t>::max()) return MikeError::EpochExhausted;
    ++epoch_;
    return MikeError::Ok;
}

}  // namespace mcsec::control::mike
