// One member's side of the key agreement: its own leaf secret, the walk from its leaf to the
// root that yields every secret on its path, the sponsor duty and the epoch's group key.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/mike/derivations.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/mike_error.hpp"
#include "mcsec/control/mike/x25519.hpp"

namespace mcsec::control::mike {

// The result of a walk from a start node (a member's leaf) up to the root.
struct PathSecrets {
    std::vector<NodeIndex> nodes;               // the start node, its parent, ..., the root
    std::vector<X25519PublicKey> blinded_keys;  // one per entry of `nodes`
    // The secrets of nodes[1..]: the start node's secret stays with its owner.
    std::vector<X25519PrivateKey> ancestor_secrets;
    // How many of the ancestor secrets came from a PathCache instead of being computed.
    std::size_t reused_steps = 0;
};

// The steps of a member's last walk to the root, so that the next epoch's walk recomputes only
// what changed. A membership change alters the path of one member (the sponsor) and, for every
// other member, only the nodes where its path meets the sponsor's: near the root for most. A
// parent's secret is a function of the child's secret, the sibling's blinded key and which side
// the child is on, so a step with the same three inputs (the child's secret known by its public
// key) has the same result wherever the tree moved it. Saves ~2 X25519 operations per reused
// level; holds only secrets of the member's current path.
class PathCache {
  public:
    struct Step {
        X25519PublicKey child;
        X25519PublicKey sibling;
        bool child_is_left = false;
        X25519PrivateKey parent;
    };

    const X25519PrivateKey* find(const X25519PublicKey& child, const X25519PublicKey& sibling,
                                 bool child_is_left) const noexcept;
    void replace(std::vector<Step> steps) noexcept { steps_ = std::move(steps); }
    void clear() noexcept { steps_.clear(); }
    std::size_t size() const noexcept { return steps_.size(); }

  private:
    std::vector<Step> steps_;
};

// Walks from `start`, whose secret is `start_secret`, to the root: at each step the secret is
// combined with the sibling's published blinded key. MissingBlindedKey if a sibling has none.
// With a cache, steps it holds are reused and it is replaced by this walk's steps on success.
Result<PathSecrets> compute_path(const KeyTree& tree, NodeIndex start,
                                 const X25519PrivateKey& start_secret, PathCache* cache = nullptr);

class TreeMember {
  public:
    // A member with a fresh leaf secret.
    static Result<TreeMember> create(NodeId id);
    // A member with a given leaf secret: restoring one from sealed storage, or a known-answer test.
    static Result<TreeMember> with_leaf_secret(NodeId id, X25519PrivateKey leaf_secret);

    const NodeId& id() const noexcept { return id_; }
    const X25519PublicKey& leaf_public_key() const noexcept { return leaf_secret_.public_key(); }
    // The secret itself, for sealing it across a restart and for tests that play a removed
    // member. X25519PrivateKey never prints its bytes.
    const X25519PrivateKey& leaf_secret() const noexcept { return leaf_secret_; }

    // The sponsor's duty after TreeChange names it: replace the leaf secret with a fresh one,
    // recompute its path, install the keys in `tree` and return them for publishing. On an
    // error neither the member nor the tree changes.
    Result<PathUpdate> sponsor(KeyTree& tree);

    // The group key of `tree`'s epoch. The tree must be complete and every published key on this
    // member's path must equal what it computes (BlindedKeyMismatch otherwise: a stale or forged
    // state, or a sponsor that has not refreshed this member's view yet).
    Result<GroupKey> group_key(const KeyTree& tree, std::span<const std::uint8_t> group_id,
                               config::Transform transform) const;

    // Drops the path kept from the last group_key(): the next one walks the whole path (what
    // a benchmark of the cold walk measures).
    void forget_cached_path() noexcept { path_cache_.clear(); }

  private:
    TreeMember(NodeId id, X25519PrivateKey leaf_secret)
        : id_(std::move(id)), leaf_secret_(std::move(leaf_secret)) {}

    NodeId id_;
    X25519PrivateKey leaf_secret_;
    // group_key() is logically const: the cache only saves work.
    mutable PathCache path_cache_;
};

}  // namespace mcsec::control::mike
