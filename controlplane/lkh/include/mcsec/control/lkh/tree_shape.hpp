// The shape of an LKH key tree (RFC 2627, docs/protocol/lkh.md "Tree"): a complete tree of
// degree d (2, 4 or 8) and height h, nodes numbered heap-style (the root is 0, the children of
// node i are d*i+1 .. d*i+d), receivers at the leaves. A leaf's index below the first leaf is
// the receiver's member id; its base-d digits, most significant first, are the path from the
// root (seed 001's path-encoded member ids).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace mcsec::control::lkh {

using NodeIndex = std::uint32_t;

class TreeShape {
  public:
    static constexpr unsigned kMaxHeight = 24;
    static constexpr std::size_t kMaxLeaves = std::size_t{1} << 24;

    // The smallest tree of `degree` (2, 4 or 8) with room for `receivers` (1..2^24) leaves.
    static std::optional<TreeShape> for_receivers(unsigned degree, std::size_t receivers) noexcept;
    // Exactly `height` levels below the root; nullopt outside the limits above.
    static std::optional<TreeShape> of(unsigned degree, unsigned height) noexcept;

    unsigned degree() const noexcept { return degree_; }
    unsigned height() const noexcept { return height_; }
    std::size_t leaf_count() const noexcept { return leaves_; }
    std::size_t node_count() const noexcept { return first_leaf_ + leaves_; }
    NodeIndex first_leaf() const noexcept { return static_cast<NodeIndex>(first_leaf_); }

    bool is_node(NodeIndex node) const noexcept { return node < node_count(); }
    bool is_leaf(NodeIndex node) const noexcept { return node >= first_leaf_ && is_node(node); }
    NodeIndex leaf(std::size_t member_id) const noexcept {
        return static_cast<NodeIndex>(first_leaf_ + member_id);
    }
    std::size_t member_id(NodeIndex leaf) const noexcept { return leaf - first_leaf_; }
    NodeIndex parent(NodeIndex node) const noexcept { return (node - 1) / degree_; }
    NodeIndex child(NodeIndex node, unsigned slot) const noexcept {
        return static_cast<NodeIndex>(node * degree_ + 1 + slot);
    }
    // Which child of its parent `node` is (0..d-1); node must not be the root.
    unsigned slot(NodeIndex node) const noexcept { return (node - 1) % degree_; }
    // Depth of `node` (root 0, leaves height()).
    unsigned depth(NodeIndex node) const noexcept {
        unsigned d = 0;
        while (node != 0) {
            node = parent(node);
            ++d;
        }
        return d;
    }

  private:
    TreeShape(unsigned degree, unsigned height, std::size_t leaves, std::size_t first_leaf)
        : degree_(degree), height_(height), leaves_(leaves), first_leaf_(first_leaf) {}

    unsigned degree_;
    unsigned height_;
    std::size_t leaves_;
    std::size_t first_leaf_;
};

inline std::optional<TreeShape> TreeShape::of(unsigned degree, unsigned height) noexcept {
    if ((degree != 2 && degree != 4 && degree != 8) || height == 0 || height > kMaxHeight) {
        return std::nullopt;
    }
    std::size_t leaves = 1;
    std::size_t inner = 0;  // nodes above the leaves: 1 + d + ... + d^(h-1)
    for (unsigned level = 0; level < height; ++level) {
        inner += leaves;
        leaves *= degree;
        if (leaves > kMaxLeaves) return std::nullopt;
    }
    return TreeShape(degree, height, leaves, inner);
}

inline std::optional<TreeShape> TreeShape::for_receivers(unsigned degree,
                                                         std::size_t receivers) noexcept {
    if (receivers == 0 || receivers > kMaxLeaves) return std::nullopt;
    for (unsigned height = 1; height <= kMaxHeight; ++height) {
        const auto shape = of(degree, height);
        if (!shape) return std::nullopt;
        if (shape->leaf_count() >= receivers) return shape;
    }
    return std::nullopt;
}

}  // namespace mcsec::control::lkh
