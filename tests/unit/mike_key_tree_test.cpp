// The key tree's agreement and membership properties: every member derives the same key, joins
// and leaves change it, a removed member cannot follow, and the operations are deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "mcsec/control/mike/derivations.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/tree_codec.hpp"
#include "mcsec/control/mike/tree_member.hpp"
#include "mike_test_group.hpp"

// Keys are compared with EXPECT_TRUE(a == b), never EXPECT_EQ, so that a failure does not print
// key bytes into the test log.
namespace mcsec::control::mike {
namespace {

using testing::as_bytes;
using testing::member_name;
using testing::must;
using testing::SimulatedGroup;

std::vector<std::uint8_t> bytes_of(const GroupKey& key) {
    return {key.key_and_salt.view().begin(), key.key_and_salt.view().end()};
}

// Every member's key, checked to be one and the same; returns it.
std::vector<std::uint8_t> agreed_key(const SimulatedGroup& group) {
    std::vector<std::uint8_t> first;
    for (const auto& [id, member] : group.members()) {
        const GroupKey key = must(group.key_of(id), id.c_str());
        EXPECT_EQ(key.epoch, group.tree().epoch());
        if (first.empty()) {
            first = bytes_of(key);
        } else {
            EXPECT_TRUE(bytes_of(key) == first) << id << " derived another key";
        }
    }
    return first;
}

class MikeAgreement : public ::testing::TestWithParam<std::size_t> {};

TEST_P(MikeAgreement, AllMembersDeriveTheSameKeyAndTheirPathsMatchThePublishedKeys) {
    const std::size_t count = GetParam();
    const SimulatedGroup group = SimulatedGroup::with_members(count);
    const KeyTree& tree = group.tree();
    ASSERT_EQ(tree.member_count(), count);
    ASSERT_TRUE(tree.complete());
    EXPECT_EQ(tree.epoch(), count);
    const std::vector<std::uint8_t> key = agreed_key(group);
    EXPECT_EQ(key.size(), 36u);

    for (const auto& [id, member] : group.members()) {
        const NodeIndex leaf = *tree.find_leaf(id);
        const PathSecrets path = must(compute_path(tree, leaf, member.leaf_secret()), "path");
        ASSERT_EQ(path.nodes.size(), tree.depth(leaf) + 1);
        for (std::size_t i = 0; i < path.nodes.size(); ++i) {
            EXPECT_EQ(tree.nodes()[path.nodes[i]].blinded_key, path.blinded_keys[i])
                << id << " step " << i;
        }
    }
    // Joins at the shallowest leaf keep the tree as flat as a binary tree can be.
    std::size_t max_depth = 0;
    for (NodeIndex i = 0; i < tree.nodes().size(); ++i)
        max_depth = std::max(max_depth, tree.depth(i));
    EXPECT_EQ(max_depth,
              static_cast<std::size_t>(std::ceil(std::log2(static_cast<double>(count)))));
}

INSTANTIATE_TEST_SUITE_P(GroupSizes, MikeAgreement, ::testing::Values(1, 2, 3, 10, 50));

TEST(MikeKeyTree, JoinChangesTheKeyAndTheJoinerDerivesIt) {
    SimulatedGroup group = SimulatedGroup::with_members(10);
    const std::vector<std::uint8_t> before = agreed_key(group);
    const TreeChange change = group.join("newcomer");
    EXPECT_EQ(change.sponsor, "newcomer");
    EXPECT_EQ(change.epoch, 11u);
    const std::vector<std::uint8_t> after = agreed_key(group);  // includes the newcomer's
    EXPECT_TRUE(after != before);
    EXPECT_TRUE(bytes_of(must(group.key_of("newcomer"), "newcomer")) == after);
}

TEST(MikeKeyTree, JoinPlacesTheNewLeafNextToTheShallowestRightmostLeaf) {
    const X25519PublicKey key{};
    KeyTree tree;
    for (const char* id : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(tree.join(id, key));
    // a,b -> (a b); c splits b (rightmost of depth 1) -> (a (b c)); d splits a -> ((a d) (b c));
    // e splits c (rightmost of depth 2) -> ((a d) (b (c e))).
    EXPECT_EQ(tree.members(), (std::vector<NodeId>{"a", "d", "b", "c", "e"}));
    EXPECT_EQ(tree.depth(*tree.find_leaf("e")), 3u);
    EXPECT_EQ(tree.depth(*tree.find_leaf("a")), 2u);
}

TEST(MikeKeyTree, LeaveChangesTheKeyAndTheRemovedMemberCannotDeriveIt) {
    SimulatedGroup group = SimulatedGroup::with_members(10);
    const std::vector<std::uint8_t> before = agreed_key(group);
    const std::string victim = member_name(4);

    // Everything the leaving member knew: its leaf secret and every secret on its path.
    const KeyTree old_tree = group.tree();
    std::vector<X25519PrivateKey> known;
    {
        const TreeMember& leaving = group.members().at(victim);
        PathSecrets path = must(
            compute_path(old_tree, *old_tree.find_leaf(victim), leaving.leaf_secret()), "path");
        known = std::move(path.ancestor_secrets);
    }

    // The sponsor is the rightmost leaf of the leaving member's sibling subtree.
    const NodeIndex sibling = old_tree.sibling(*old_tree.find_leaf(victim));
    NodeIndex expected_sponsor = sibling;
    while (!old_tree.nodes()[expected_sponsor].is_leaf()) {
        expected_sponsor = old_tree.nodes()[expected_sponsor].right;
    }
    const X25519PublicKey sponsor_old_leaf_key = *old_tree.nodes()[expected_sponsor].blinded_key;

    TreeMember removed = group.leave(victim);
    const KeyTree& tree = group.tree();
    const std::vector<std::uint8_t> after = agreed_key(group);
    EXPECT_TRUE(after != before);
    EXPECT_FALSE(tree.find_leaf(victim).has_value());
    const NodeId& sponsor = old_tree.nodes()[expected_sponsor].member;
    EXPECT_NE(tree.nodes()[*tree.find_leaf(sponsor)].blinded_key, sponsor_old_leaf_key)
        << "the sponsor must refresh its leaf secret after a leave";

    // Its own attempt is refused outright.
    EXPECT_EQ(removed.group_key(tree, as_bytes(group.group_id()), group.transform()).error(),
              MikeError::UnknownMember);

    // And no secret it knew, put at any node of the new tree, leads to the new key.
    const TreeHash hash = must(tree_hash(tree), "hash");
    std::size_t attempts = 0;
    auto try_secret = [&](const X25519PrivateKey& secret) {
        for (NodeIndex start = 0; start < tree.nodes().size(); ++start) {
            Result<PathSecrets> path = compute_path(tree, start, secret);
            if (!path) continue;
            const X25519PrivateKey& root = path.value().ancestor_secrets.empty()
                                               ? secret
                                               : path.value().ancestor_secrets.back();
            const GroupKey guess = must(derive_group_key(root, as_bytes(group.group_id()),
                                                         tree.epoch(), hash, group.transform()),
                                        "guess");
            ++attempts;
            EXPECT_TRUE(bytes_of(guess) != after)
                << "removed member derived the key from node " << start;
        }
    };
    try_secret(removed.leaf_secret());
    for (const X25519PrivateKey& secret : known) try_secret(secret);
    EXPECT_EQ(attempts, (known.size() + 1) * tree.nodes().size());
}

TEST(MikeKeyTree, KeysDifferAcrossEpochsGroupsAndTransforms) {
    SimulatedGroup group = SimulatedGroup::with_members(3);
    const TreeMember& member = group.members().at(member_name(0));
    const auto key = [&](std::string_view group_id, config::Transform transform) {
        return bytes_of(must(member.group_key(group.tree(), as_bytes(group_id), transform), "key"));
    };
    const auto epoch3 = key("ff3e::8000:1", config::Transform::AesGcm256);
    EXPECT_TRUE(epoch3 != key("ff3e::8000:2", config::Transform::AesGcm256));
    EXPECT_TRUE(epoch3 != key("239.1.2.3", config::Transform::AesGcm256));
    const auto gcm128 = key("ff3e::8000:1", config::Transform::AesGcm128);
    EXPECT_EQ(gcm128.size(), 20u);
    EXPECT_TRUE(gcm128 != std::vector<std::uint8_t>(epoch3.begin(), epoch3.begin() + 20));

    const TreeChange change = group.refresh(member_name(1));
    EXPECT_EQ(change.epoch, 4u);
    EXPECT_TRUE(agreed_key(group) != epoch3);
}

TEST(MikeKeyTree, SameTreeAtAnotherEpochGivesAnotherKey) {
    // Only the epoch differs: the tree hash covers it, and so does the HKDF info.
    SimulatedGroup group = SimulatedGroup::with_members(4);
    const std::vector<std::uint8_t> original = agreed_key(group);
    std::vector<std::uint8_t> encoding = serialize_tree(group.tree());
    encoding[8] ^= 1;  // lowest epoch byte
    KeyTree relabelled;
    ASSERT_EQ(parse_tree(encoding, relabelled), TreeParseError::Ok);
    EXPECT_NE(relabelled.epoch(), group.tree().epoch());
    const GroupKey key =
        must(group.members()
                 .at(member_name(0))
                 .group_key(relabelled, as_bytes(group.group_id()), group.transform()),
             "key");
    EXPECT_TRUE(bytes_of(key) != original);
}

TEST(MikeKeyTree, OperationsAreDeterministicAcrossMembers) {
    // Another member's copy of the public state, fed the same events and the sponsor's path
    // updates, reaches the same sponsor, epoch and bytes.
    SimulatedGroup group = SimulatedGroup::with_members(12);
    KeyTree replica = group.tree();
    for (const std::size_t i : {3u, 7u, 0u, 11u}) {
        const std::string id = member_name(i);
        const Result<TreeChange> replayed = replica.leave(id);
        (void)group.leave(id);
        ASSERT_TRUE(replayed);
        EXPECT_EQ(replayed.value().sponsor, group.last_change().sponsor);
        EXPECT_EQ(replayed.value().epoch, group.last_change().epoch);

        const NodeIndex leaf = *group.tree().find_leaf(replayed.value().sponsor);
        std::vector<X25519PublicKey> keys;
        for (const NodeIndex n : group.tree().path_to_root(leaf)) {
            keys.push_back(*group.tree().nodes()[n].blinded_key);
        }
        ASSERT_EQ(replica.apply_path_update({replayed.value().sponsor, replica.epoch(), keys}),
                  MikeError::Ok);
        EXPECT_EQ(serialize_tree(replica), serialize_tree(group.tree()));
    }
    group.join("late-joiner");
    const Result<TreeChange> replayed =
        replica.join("late-joiner", group.members().at("late-joiner").leaf_public_key());
    ASSERT_TRUE(replayed);
    EXPECT_EQ(replayed.value().sponsor, "late-joiner");
    EXPECT_EQ(replayed.value().epoch, group.tree().epoch());
    EXPECT_EQ(replica.members(), group.tree().members());
    agreed_key(group);
}

TEST(MikeKeyTree, NoMemberComputesAKeyBeforeTheSponsorPublishes) {
    SimulatedGroup group = SimulatedGroup::with_members(6);
    const Result<TreeChange> change = group.tree().leave(member_name(2));
    ASSERT_TRUE(change);
    EXPECT_FALSE(group.tree().complete());
    EXPECT_EQ(group.key_of(member_name(0)).error(), MikeError::MissingBlindedKey);
}

TEST(MikeKeyTree, StaleOrForgedStateIsRefused) {
    SimulatedGroup group = SimulatedGroup::with_members(5);
    const std::string id = member_name(0);
    // A path update for an older epoch.
    KeyTree& tree = group.tree();
    const NodeIndex leaf = *tree.find_leaf(id);
    std::vector<X25519PublicKey> keys;
    for (const NodeIndex n : tree.path_to_root(leaf)) keys.push_back(*tree.nodes()[n].blinded_key);
    EXPECT_EQ(tree.apply_path_update({id, tree.epoch() - 1, keys}), MikeError::StaleUpdate);
    EXPECT_EQ(tree.apply_path_update({"nobody", tree.epoch(), keys}), MikeError::BadPathUpdate);
    keys.pop_back();
    EXPECT_EQ(tree.apply_path_update({id, tree.epoch(), keys}), MikeError::BadPathUpdate);

    // A forged blinded key on a member's path.
    KeyTree forged = tree;
    std::vector<std::uint8_t> encoding = serialize_tree(forged);
    encoding[kTreeHeaderBytes + 2] ^= 0x40;  // the root's blinded key
    ASSERT_EQ(parse_tree(encoding, forged), TreeParseError::Ok);
    EXPECT_EQ(group.members().at(id).group_key(forged, as_bytes("g"), group.transform()).error(),
              MikeError::BlindedKeyMismatch);
}

TEST(MikeKeyTree, LowOrderBlindedKeyIsRejected) {
    TreeMember alpha = must(TreeMember::create("alpha"), "alpha");
    KeyTree tree;
    ASSERT_TRUE(tree.join("alpha", alpha.leaf_public_key()));
    ASSERT_TRUE(tree.join("bravo", X25519PublicKey{}));  // u = 0: a low-order point
    EXPECT_EQ(alpha.sponsor(tree).error(), MikeError::LowOrderPoint);
    // Nothing changed: the member keeps its secret and the tree its keys.
    EXPECT_EQ(tree.nodes()[*tree.find_leaf("alpha")].blinded_key, alpha.leaf_public_key());
    EXPECT_FALSE(tree.nodes()[0].blinded_key.has_value());
}

TEST(MikeKeyTree, MembershipErrors) {
    const X25519PublicKey key{};
    KeyTree tree;
    EXPECT_EQ(tree.leave("ghost").error(), MikeError::UnknownMember);
    EXPECT_EQ(tree.refresh("ghost").error(), MikeError::UnknownMember);
    EXPECT_EQ(tree.join("", key).error(), MikeError::InvalidMemberId);
    EXPECT_EQ(tree.join("has space", key).error(), MikeError::InvalidMemberId);
    EXPECT_EQ(tree.join(std::string(33, 'a'), key).error(), MikeError::InvalidMemberId);
    EXPECT_EQ(TreeMember::create("bad/id").error(), MikeError::InvalidMemberId);
    ASSERT_TRUE(tree.join("a", key));
    EXPECT_EQ(tree.join("a", key).error(), MikeError::DuplicateMember);
    EXPECT_EQ(tree.epoch(), 1u) << "a refused operation must not advance the epoch";

    for (std::size_t i = 1; i < KeyTree::kMaxMembers; ++i)
        ASSERT_TRUE(tree.join(member_name(i), key));
    EXPECT_EQ(tree.member_count(), KeyTree::kMaxMembers);
    EXPECT_EQ(tree.join("one-too-many", key).error(), MikeError::TooManyMembers);
    std::size_t max_depth = 0;
    for (NodeIndex i = 0; i < tree.nodes().size(); ++i)
        max_depth = std::max(max_depth, tree.depth(i));
    EXPECT_EQ(max_depth, 10u);
}

TEST(MikeKeyTree, LastMemberLeavingEmptiesTheTree) {
    SimulatedGroup group = SimulatedGroup::with_members(1);
    TreeMember last = group.leave(member_name(0));
    EXPECT_TRUE(group.tree().empty());
    EXPECT_EQ(group.tree().epoch(), 2u);
    EXPECT_EQ(last.group_key(group.tree(), as_bytes("g"), config::Transform::AesGcm256).error(),
              MikeError::EmptyTree);
    // The group restarts from the empty tree at the next epoch.
    group.join("again");
    EXPECT_EQ(group.tree().epoch(), 3u);
    EXPECT_FALSE(agreed_key(group).empty());
}

TEST(MikeKeyTree, PathCacheRecomputesOnlyWhereTheSponsorsPathMeetsAndAgreesWithAFreshWalk) {
    SimulatedGroup group = SimulatedGroup::with_members(50);
    std::map<std::string, PathCache> caches;
    const auto walk = [&](const std::string& id, PathCache* cache) {
        const TreeMember& member = group.members().at(id);
        return must(
            compute_path(group.tree(), *group.tree().find_leaf(id), member.leaf_secret(), cache),
            "path");
    };
    for (const auto& [id, member] : group.members()) {
        EXPECT_EQ(walk(id, &caches[id]).reused_steps, 0u);  // a cold cache computes every step
    }
    for (const char* event : {"join", "leave", "refresh"}) {
        SCOPED_TRACE(event);
        if (std::string(event) == "join") group.join("node-new");
        if (std::string(event) == "leave") group.leave(member_name(7));
        if (std::string(event) == "refresh") group.refresh(member_name(20));
        std::size_t steps = 0, reused = 0;
        for (const auto& [id, member] : group.members()) {
            if (id == group.last_change().sponsor) continue;  // its leaf secret is fresh
            const PathSecrets cached = walk(id, &caches[id]);
            const PathSecrets fresh = walk(id, nullptr);
            // Identical results: the same blinded keys all the way up, the same root secret.
            EXPECT_EQ(cached.blinded_keys, fresh.blinded_keys) << id;
            steps += cached.ancestor_secrets.size();
            reused += cached.reused_steps;
        }
        // Most members' paths meet the sponsor's near the root.
        EXPECT_GT(reused * 2, steps) << reused << " of " << steps << " steps reused";
    }
}

TEST(MikeKeyTree, ChurnKeepsAgreementAndFreshKeys) {
    SimulatedGroup group = SimulatedGroup::with_members(8);
    // A vector, not a std::set: GCC 12 -O2 warns falsely in std::set<vector<uint8_t>>'s compare.
    std::vector<std::vector<std::uint8_t>> seen{agreed_key(group)};
    std::size_t next = 8;
    for (std::size_t round = 0; round < 12; ++round) {
        if (round % 3 == 2) {
            (void)group.leave(group.members().begin()->first);
        } else {
            group.join(member_name(next++));
        }
        const std::vector<std::uint8_t> key = agreed_key(group);
        EXPECT_TRUE(std::find(seen.begin(), seen.end(), key) == seen.end())
            << "a key repeated in round " << round;
        seen.push_back(key);
    }
}

}  // namespace
}  // namespace mcsec::control::mike
