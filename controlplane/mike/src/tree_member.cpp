#include "mcsec/control/mike/tree_member.hpp"

#include <utility>

namespace mcsec::control::mike {

const X25519PrivateKey* PathCache::find(const X25519PublicKey& child,
                                        const X25519PublicKey& sibling,
                                        bool child_is_left) const noexcept {
    for (const Step& step : steps_) {
        if (step.child == child && step.sibling == sibling && step.child_is_left == child_is_left) {
            return &step.parent;
        }
    }
    return nullptr;
}

Result<PathSecrets> compute_path(const KeyTree& tree, NodeIndex start,
                                 const X25519PrivateKey& start_secret, PathCache* cache) {
    const std::span<const TreeNode> nodes = tree.nodes();
    if (start >= nodes.size()) return MikeError::UnknownMember;
    PathSecrets path;
    path.nodes = tree.path_to_root(start);
    path.blinded_keys.reserve(path.nodes.size());
    path.ancestor_secrets.reserve(path.nodes.size() - 1);
    path.blinded_keys.push_back(start_secret.public_key());

    std::vector<PathCache::Step> steps;
    if (cache) steps.reserve(path.nodes.size());
    X25519SharedSecret dh;
    for (std::size_t step = 0; step + 1 < path.nodes.size(); ++step) {
        const X25519PrivateKey& current = step == 0 ? start_secret : path.ancestor_secrets.back();
        const NodeIndex node = path.nodes[step];
        const std::optional<X25519PublicKey>& sibling_key = nodes[tree.sibling(node)].blinded_key;
        if (!sibling_key) return MikeError::MissingBlindedKey;
        const bool is_left = nodes[path.nodes[step + 1]].left == node;
        const X25519PrivateKey* cached =
            cache ? cache->find(current.public_key(), *sibling_key, is_left) : nullptr;
        if (cached) {
            path.ancestor_secrets.push_back(cached->share());
            ++path.reused_steps;
        } else {
            if (const MikeError error = current.agree(*sibling_key, dh); error != MikeError::Ok) {
                return error;
            }
            Result<X25519PrivateKey> parent_secret =
                is_left ? derive_node_secret(dh, current.public_key(), *sibling_key)
                        : derive_node_secret(dh, *sibling_key, current.public_key());
            dh.wipe();
            if (!parent_secret) return parent_secret.error();
            path.ancestor_secrets.push_back(std::move(parent_secret).value());
        }
        path.blinded_keys.push_back(path.ancestor_secrets.back().public_key());
        if (cache) {
            steps.push_back({current.public_key(), *sibling_key, is_left,
                             path.ancestor_secrets.back().share()});
        }
    }
    if (cache) cache->replace(std::move(steps));
    return path;
}

Result<TreeMember> TreeMember::create(NodeId id) {
    if (!is_valid_member_id(id)) return MikeError::InvalidMemberId;
    Result<X25519PrivateKey> leaf_secret = X25519PrivateKey::generate();
    if (!leaf_secret) return leaf_secret.error();
    return TreeMember(std::move(id), std::move(leaf_secret).value());
}

Result<TreeMember> TreeMember::with_leaf_secret(NodeId id, X25519PrivateKey leaf_secret) {
    if (!is_valid_member_id(id)) return MikeError::InvalidMemberId;
    return TreeMember(std::move(id), std::move(leaf_secret));
}

Result<PathUpdate> TreeMember::sponsor(KeyTree& tree) {
    const std::optional<NodeIndex> leaf = tree.find_leaf(id_);
    if (!leaf) return MikeError::UnknownMember;
    // A fresh leaf secret on every sponsorship: after a leave this is what makes the removed
    // member's knowledge of the old path secrets useless (docs/protocol/mike-key-tree.md).
    Result<X25519PrivateKey> fresh = X25519PrivateKey::generate();
    if (!fresh) return fresh.error();
    Result<PathSecrets> path = compute_path(tree, *leaf, fresh.value());
    if (!path) return path.error();

    PathUpdate update{id_, tree.epoch(), std::move(path.value().blinded_keys)};
    if (const MikeError error = tree.apply_path_update(update); error != MikeError::Ok) {
        return error;
    }
    // Committed only now: on any earlier error the member keeps the secret its tree still uses.
    leaf_secret_ = std::move(fresh).value();
    path_cache_.clear();  // secrets of the old leaf's path: nothing will match them again
    return update;
}

Result<GroupKey> TreeMember::group_key(const KeyTree& tree, std::span<const std::uint8_t> group_id,
                                       config::Transform transform) const {
    if (tree.empty()) return MikeError::EmptyTree;
    const std::optional<NodeIndex> leaf = tree.find_leaf(id_);
    if (!leaf) return MikeError::UnknownMember;
    if (!tree.complete()) return MikeError::MissingBlindedKey;

    Result<PathSecrets> path = compute_path(tree, *leaf, leaf_secret_, &path_cache_);
    if (!path) return path.error();
    // Every key the sponsor published on this member's path must be the one this member derives
    // from its own secret; otherwise the members would not share a key (or the state is forged).
    const PathSecrets& secrets = path.value();
    const std::span<const TreeNode> nodes = tree.nodes();
    for (std::size_t i = 0; i < secrets.nodes.size(); ++i) {
        if (*nodes[secrets.nodes[i]].blinded_key != secrets.blinded_keys[i]) {
            return MikeError::BlindedKeyMismatch;
        }
    }

    const Result<TreeHash> hash = tree_hash(tree);
    if (!hash) return hash.error();
    const X25519PrivateKey& root_secret =
        secrets.ancestor_secrets.empty() ? leaf_secret_ : secrets.ancestor_secrets.back();
    return derive_group_key(root_secret, group_id, tree.epoch(), hash.value(), transform);
}

}  // namespace mcsec::control::mike
