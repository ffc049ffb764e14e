#include "mcsec/control/mike/tree_codec.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace mcsec::control::mike {

namespace {

constexpr std::uint8_t kInternalNode = 0;
constexpr std::uint8_t kLeafNode = 1;

void put_u8(std::vector<std::uint8_t>& out, std::uint8_t value) {
    out.push_back(value);
}

void put_be(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

// A cursor over untrusted bytes: every read checks the remaining length first.
class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    std::size_t remaining() const noexcept { return bytes_.size() - offset_; }

    bool read_u8(std::uint8_t& value) {
        if (remaining() < 1) return false;
        value = bytes_[offset_++];
        return true;
    }
    bool read_be(std::uint64_t& value, std::size_t bytes) {
        if (remaining() < bytes) return false;
        value = 0;
        for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | bytes_[offset_++];
        return true;
    }
    bool read_bytes(std::span<const std::uint8_t>& out, std::size_t count) {
        if (remaining() < count) return false;
        out = bytes_.subspan(offset_, count);
        offset_ += count;
        return true;
    }

  private:
    std::span<const std::uint8_t> bytes_;
    std::size_t offset_ = 0;
};

class TreeParser {
  public:
    TreeParser(Reader& reader, std::size_t declared_members)
        : reader_(reader), declared_members_(declared_members) {
        nodes_.reserve(2 * declared_members - 1);
    }

    // One node and its subtree, in pre-order. Recursion depth is capped by kMaxDepth.
    TreeParseError parse_node(NodeIndex parent, std::size_t depth) {
        if (depth > KeyTree::kMaxDepth) return TreeParseError::BadStructure;
        std::uint8_t kind = 0;
        if (!reader_.read_u8(kind)) return TreeParseError::Truncated;
        if (kind != kInternalNode && kind != kLeafNode) return TreeParseError::BadStructure;

        const auto index = static_cast<NodeIndex>(nodes_.size());
        TreeNode node;
        node.parent = parent;
        if (kind == kLeafNode) {
            // Checked before the leaf is stored, so nodes_ never outgrows its reservation.
            if (++leaves_ > declared_members_) return TreeParseError::BadStructure;
            std::uint8_t id_length = 0;
            std::span<const std::uint8_t> id;
            if (!reader_.read_u8(id_length) || !reader_.read_bytes(id, id_length)) {
                return TreeParseError::Truncated;
            }
            node.member.assign(id.begin(), id.end());
            if (!is_valid_member_id(node.member)) return TreeParseError::BadMemberId;
        } else if (++internal_nodes_ >= declared_members_) {
            // A tree with n leaves has n - 1 internal nodes; more can only be a malformed input.
            return TreeParseError::BadStructure;
        }
        if (const TreeParseError error = read_key(node, kind == kLeafNode);
            error != TreeParseError::Ok) {
            return error;
        }
        nodes_.push_back(std::move(node));
        if (kind == kLeafNode) return TreeParseError::Ok;

        const auto left = static_cast<NodeIndex>(nodes_.size());
        nodes_[index].left = left;
        if (const TreeParseError error = parse_node(index, depth + 1);
            error != TreeParseError::Ok) {
            return error;
        }
        nodes_[index].right = static_cast<NodeIndex>(nodes_.size());
        return parse_node(index, depth + 1);
    }

    std::size_t leaves() const noexcept { return leaves_; }
    std::vector<TreeNode>& nodes() noexcept { return nodes_; }

  private:
    TreeParseError read_key(TreeNode& node, bool required) {
        std::uint8_t length = 0;
        if (!reader_.read_u8(length)) return TreeParseError::Truncated;
        if (length == 0 && !required) return TreeParseError::Ok;
        if (length != kX25519KeyBytes) return TreeParseError::BadKeyLength;
        std::span<const std::uint8_t> key;
        if (!reader_.read_bytes(key, length)) return TreeParseError::Truncated;
        X25519PublicKey value{};
        std::copy(key.begin(), key.end(), value.begin());
        node.blinded_key = value;
        return TreeParseError::Ok;
    }

    Reader& reader_;
    std::size_t declared_members_;
    std::size_t leaves_ = 0;
    std::size_t internal_nodes_ = 0;
    std::vector<TreeNode> nodes_;
};

bool has_duplicate_member(const std::vector<TreeNode>& nodes) {
    std::vector<std::string_view> ids;
    for (const TreeNode& node : nodes) {
        if (node.is_leaf()) ids.push_back(node.member);
    }
    std::sort(ids.begin(), ids.end());
    return std::adjacent_find(ids.begin(), ids.end()) != ids.end();
}

}  // namespace

std::string_view to_string(TreeParseError error) noexcept {
    switch (error) {
        case TreeParseError::Ok:
            return "ok";
        case TreeParseError::Truncated:
            return "truncated";
        case TreeParseError::Oversized:
            return "oversized";
        case TreeParseError::UnsupportedVersion:
            return "unsupported version";
        case TreeParseError::BadStructure:
            return "bad structure";
        case TreeParseError::TooManyMembers:
            return "too many members";
        case TreeParseError::BadMemberId:
            return "bad member id";
        case TreeParseError::DuplicateMember:
            return "duplicate member";
        case TreeParseError::BadKeyLength:
            return "bad key length";
        case TreeParseError::TrailingBytes:
            return "trailing bytes";
    }
    return "unknown";
}

std::vector<std::uint8_t> serialize_tree(const KeyTree& tree) {
    std::vector<std::uint8_t> out;
    out.reserve(kTreeHeaderBytes + tree.nodes().size() * (3 + kMaxMemberIdBytes + kX25519KeyBytes));
    put_u8(out, kTreeFormatVersion);
    put_be(out, tree.epoch(), 8);
    put_be(out, tree.member_count(), 2);
    // The node vector is already in pre-order, the order of the encoding.
    for (const TreeNode& node : tree.nodes()) {
        if (node.is_leaf()) {
            put_u8(out, kLeafNode);
            put_u8(out, static_cast<std::uint8_t>(node.member.size()));
            out.insert(out.end(), node.member.begin(), node.member.end());
        } else {
            put_u8(out, kInternalNode);
        }
        if (node.blinded_key) {
            put_u8(out, static_cast<std::uint8_t>(kX25519KeyBytes));
            out.insert(out.end(), node.blinded_key->begin(), node.blinded_key->end());
        } else {
            put_u8(out, 0);
        }
    }
    return out;
}

TreeParseError parse_tree(std::span<const std::uint8_t> bytes, KeyTree& tree) {
    if (bytes.size() > kMaxTreeEncodingBytes) return TreeParseError::Oversized;
    Reader reader(bytes);
    std::uint8_t version = 0;
    if (!reader.read_u8(version)) return TreeParseError::Truncated;
    if (version != kTreeFormatVersion) return TreeParseError::UnsupportedVersion;
    std::uint64_t epoch = 0;
    std::uint64_t members = 0;
    if (!reader.read_be(epoch, 8) || !reader.read_be(members, 2)) return TreeParseError::Truncated;
    if (members > KeyTree::kMaxMembers) return TreeParseError::TooManyMembers;

    std::vector<TreeNode> nodes;
    if (members > 0) {
        TreeParser parser(reader, members);
        if (const TreeParseError error = parser.parse_node(kNoNode, 0);
            error != TreeParseError::Ok) {
            return error;
        }
        if (parser.leaves() != members) return TreeParseError::BadStructure;
        if (has_duplicate_member(parser.nodes())) return TreeParseError::DuplicateMember;
        nodes = std::move(parser.nodes());
    }
    if (reader.remaining() != 0) return TreeParseError::TrailingBytes;

    // The parser built a well-formed pre-order tree; from_nodes re-checks every invariant so
    // nothing that KeyTree's operations rely on rests on the parser alone.
    std::optional<KeyTree> parsed = KeyTree::from_nodes(epoch, std::move(nodes));
    if (!parsed) return TreeParseError::BadStructure;
    tree = std::move(*parsed);
    return TreeParseError::Ok;
}

}  // namespace mcsec::control::mike
