// A MIKE group simulated in one process for the key-tree tests and the benchmark: the TM's copy
// of the public tree plus every member's secret side. Each event runs the way the protocol runs
// it: the tree operation, then the sponsor's path update, then every member computes the key.
#pragma once

#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mcsec/control/mike/derivations.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/tree_member.hpp"

namespace mcsec::control::mike::testing {

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::string member_name(std::size_t i) {
    return "node-" + std::to_string(i);
}

template <typename T>
T must(Result<T> result, const char* what) {
    if (!result) {
        throw std::runtime_error(std::string(what) + ": " + std::string(to_string(result.error())));
    }
    return std::move(result).value();
}

class SimulatedGroup {
  public:
    explicit SimulatedGroup(std::string group_id = "ff3e::8000:1",
                            config::Transform transform = config::Transform::AesGcm256)
        : group_id_(std::move(group_id)), transform_(transform) {}

    static SimulatedGroup with_members(std::size_t count) {
        SimulatedGroup group;
        for (std::size_t i = 0; i < count; ++i) group.join(member_name(i));
        return group;
    }

    // The joiner sponsors its own join (it holds the fresh secret on the new path).
    TreeChange join(const std::string& id) {
        TreeMember member = must(TreeMember::create(id), "create");
        TreeChange change = must(tree_.join(id, member.leaf_public_key()), "join");
        members_.emplace(id, std::move(member));
        sponsor(change);
        return change;
    }

    // Returns the removed member, who keeps whatever it knew.
    TreeMember leave(const std::string& id) {
        auto node = members_.extract(id);
        if (node.empty()) throw std::runtime_error("leave: no such member");
        TreeChange change = must(tree_.leave(id), "leave");
        sponsor(change);
        return std::move(node.mapped());
    }

    TreeChange refresh(const std::string& id) {
        TreeChange change = must(tree_.refresh(id), "refresh");
        sponsor(change);
        return change;
    }

    Result<GroupKey> key_of(const std::string& id) const {
        return members_.at(id).group_key(tree_, as_bytes(group_id_), transform_);
    }

    const KeyTree& tree() const { return tree_; }
    KeyTree& tree() { return tree_; }
    const std::map<std::string, TreeMember>& members() const { return members_; }
    std::map<std::string, TreeMember>& members() { return members_; }
    const std::string& group_id() const { return group_id_; }
    // What the last join, leave or refresh decided (sponsor, new epoch).
    const TreeChange& last_change() const { return last_change_; }
    config::Transform transform() const { return transform_; }

  private:
    void sponsor(const TreeChange& change) {
        last_change_ = change;
        if (change.sponsor.empty()) return;
        (void)must(members_.at(change.sponsor).sponsor(tree_), "sponsor");
    }

    std::string group_id_;
    config::Transform transform_;
    KeyTree tree_;
    TreeChange last_change_;
    std::map<std::string, TreeMember> members_;
};

}  // namespace mcsec::control::mike::testing
