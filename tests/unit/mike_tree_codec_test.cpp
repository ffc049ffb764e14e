// The serialised tree state: round trips, and every way the parser refuses untrusted bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/tree_codec.hpp"
#include "mike_test_group.hpp"

namespace mcsec::control::mike {
namespace {

using testing::SimulatedGroup;

using Bytes = std::vector<std::uint8_t>;

Bytes header(std::uint64_t epoch, std::uint16_t members) {
    Bytes out{kTreeFormatVersion};
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(epoch >> shift));
    out.push_back(static_cast<std::uint8_t>(members >> 8));
    out.push_back(static_cast<std::uint8_t>(members));
    return out;
}

void leaf(Bytes& out, const std::string& id, std::uint8_t key_length = 32) {
    out.push_back(1);
    out.push_back(static_cast<std::uint8_t>(id.size()));
    out.insert(out.end(), id.begin(), id.end());
    out.push_back(key_length);
    out.insert(out.end(), key_length, 0x5a);
}

void internal(Bytes& out, std::uint8_t key_length = 32) {
    out.push_back(0);
    out.push_back(key_length);
    out.insert(out.end(), key_length, 0xa5);
}

TreeParseError parse(const Bytes& bytes) {
    KeyTree tree;
    return parse_tree(bytes, tree);
}

TEST(MikeTreeCodec, RoundTripsCompleteTrees) {
    for (const std::size_t count : {1u, 3u, 10u, 50u}) {
        const SimulatedGroup group = SimulatedGroup::with_members(count);
        const Bytes encoding = serialize_tree(group.tree());
        KeyTree parsed;
        ASSERT_EQ(parse_tree(encoding, parsed), TreeParseError::Ok) << count;
        EXPECT_EQ(parsed.epoch(), group.tree().epoch());
        EXPECT_EQ(parsed.members(), group.tree().members());
        EXPECT_TRUE(parsed.complete());
        EXPECT_EQ(serialize_tree(parsed), encoding);
        // A parsed state is as good as the original: members compute the key from it.
        for (const auto& [id, member] : group.members()) {
            const Result<GroupKey> from_parsed =
                member.group_key(parsed, testing::as_bytes(group.group_id()), group.transform());
            ASSERT_TRUE(from_parsed) << to_string(from_parsed.error());
            EXPECT_TRUE(from_parsed.value().key_and_salt.equals(
                group.key_of(id).value().key_and_salt.view()));
        }
    }
}

TEST(MikeTreeCodec, RoundTripsEmptyAndIncompleteTrees) {
    const KeyTree empty;
    const Bytes empty_encoding = serialize_tree(empty);
    EXPECT_EQ(empty_encoding, header(0, 0));
    KeyTree parsed = SimulatedGroup::with_members(2).tree();
    ASSERT_EQ(parse_tree(empty_encoding, parsed), TreeParseError::Ok);
    EXPECT_TRUE(parsed.empty());

    // Between a leave and the sponsor's update the internal keys on the sponsor's path are absent.
    SimulatedGroup group = SimulatedGroup::with_members(7);
    ASSERT_TRUE(group.tree().leave(testing::member_name(3)));
    const Bytes encoding = serialize_tree(group.tree());
    ASSERT_EQ(parse_tree(encoding, parsed), TreeParseError::Ok);
    EXPECT_FALSE(parsed.complete());
    EXPECT_EQ(serialize_tree(parsed), encoding);
}

TEST(MikeTreeCodec, EncodesTheDocumentedLayout) {
    Bytes expected = header(0x0102030405060708, 2);
    internal(expected);
    leaf(expected, "alpha");
    leaf(expected, "bravo");
    KeyTree tree;
    ASSERT_EQ(parse_tree(expected, tree), TreeParseError::Ok);
    EXPECT_EQ(tree.epoch(), 0x0102030405060708u);
    EXPECT_EQ(tree.members(), (std::vector<NodeId>{"alpha", "bravo"}));
    EXPECT_EQ(serialize_tree(tree), expected);
}

TEST(MikeTreeCodec, EveryPrefixIsTruncated) {
    const Bytes encoding = serialize_tree(SimulatedGroup::with_members(5).tree());
    for (std::size_t length = 0; length < encoding.size(); ++length) {
        EXPECT_EQ(parse(Bytes(encoding.begin(), encoding.begin() + static_cast<long>(length))),
                  TreeParseError::Truncated)
            << "prefix of " << length << " bytes";
    }
}

TEST(MikeTreeCodec, RejectsOversizedInput) {
    EXPECT_EQ(parse(Bytes(kMaxTreeEncodingBytes + 1, 0)), TreeParseError::Oversized);
}

TEST(MikeTreeCodec, RejectsUnknownVersion) {
    Bytes bytes = header(1, 1);
    leaf(bytes, "a");
    bytes[0] = 2;
    EXPECT_EQ(parse(bytes), TreeParseError::UnsupportedVersion);
}

TEST(MikeTreeCodec, RejectsBadStructure) {
    Bytes unknown_kind = header(1, 1);
    unknown_kind.push_back(7);
    EXPECT_EQ(parse(unknown_kind), TreeParseError::BadStructure);

    Bytes fewer_leaves = header(1, 3);  // announces 3, holds 2
    internal(fewer_leaves);
    leaf(fewer_leaves, "a");
    leaf(fewer_leaves, "b");
    EXPECT_EQ(parse(fewer_leaves), TreeParseError::BadStructure);

    Bytes more_leaves = header(1, 1);  // announces 1, holds 2
    internal(more_leaves);
    leaf(more_leaves, "a");
    leaf(more_leaves, "b");
    EXPECT_EQ(parse(more_leaves), TreeParseError::BadStructure);

    Bytes too_many_internal = header(1, 2);  // 2 leaves allow 1 internal node
    internal(too_many_internal);
    internal(too_many_internal);
    EXPECT_EQ(parse(too_many_internal), TreeParseError::BadStructure);

    Bytes too_deep = header(1, 1000);  // a left spine deeper than KeyTree::kMaxDepth
    for (std::size_t i = 0; i <= KeyTree::kMaxDepth; ++i) internal(too_deep, 0);
    EXPECT_EQ(parse(too_deep), TreeParseError::BadStructure);
}

TEST(MikeTreeCodec, RejectsTooManyMembers) {
    EXPECT_EQ(parse(header(1, KeyTree::kMaxMembers + 1)), TreeParseError::TooManyMembers);
    EXPECT_EQ(parse(header(1, 0xFFFF)), TreeParseError::TooManyMembers);
}

TEST(MikeTreeCodec, RejectsBadMemberIds) {
    for (const std::string& id :
         {std::string(), std::string("bad id"), std::string(33, 'x'), std::string("a\0b", 3)}) {
        Bytes bytes = header(1, 1);
        leaf(bytes, id);
        EXPECT_EQ(parse(bytes), TreeParseError::BadMemberId) << id.size();
    }
}

TEST(MikeTreeCodec, RejectsDuplicateMembers) {
    Bytes bytes = header(1, 2);
    internal(bytes);
    leaf(bytes, "same");
    leaf(bytes, "same");
    EXPECT_EQ(parse(bytes), TreeParseError::DuplicateMember);
}

TEST(MikeTreeCodec, RejectsBadKeyLengths) {
    for (const int length : {0, 16, 31, 33, 255}) {
        Bytes bytes = header(1, 1);
        leaf(bytes, "a", static_cast<std::uint8_t>(length));  // a leaf always has its key
        EXPECT_EQ(parse(bytes), TreeParseError::BadKeyLength) << length;
    }
    for (const int length : {1, 31, 64}) {
        Bytes bytes = header(1, 2);
        internal(bytes, static_cast<std::uint8_t>(length));
        leaf(bytes, "a");
        leaf(bytes, "b");
        EXPECT_EQ(parse(bytes), TreeParseError::BadKeyLength) << length;
    }
}

TEST(MikeTreeCodec, RejectsTrailingBytes) {
    Bytes empty = header(1, 0);
    empty.push_back(0);
    EXPECT_EQ(parse(empty), TreeParseError::TrailingBytes);
    Bytes bytes = serialize_tree(SimulatedGroup::with_members(3).tree());
    bytes.push_back(0);
    EXPECT_EQ(parse(bytes), TreeParseError::TrailingBytes);
}

TEST(MikeTreeCodec, FailedParseLeavesTheTreeUnchanged) {
    KeyTree tree = SimulatedGroup::with_members(3).tree();
    const Bytes before = serialize_tree(tree);
    Bytes bad = before;
    bad.push_back(1);
    EXPECT_EQ(parse_tree(bad, tree), TreeParseError::TrailingBytes);
    EXPECT_EQ(serialize_tree(tree), before);
}

TEST(MikeTreeCodec, ErrorsHaveNames) {
    EXPECT_EQ(to_string(TreeParseError::Truncated), "truncated");
    EXPECT_EQ(to_string(TreeParseError::TrailingBytes), "trailing bytes");
    EXPECT_EQ(to_string(MikeError::LowOrderPoint), "low-order X25519 point");
}

}  // namespace
}  // namespace mcsec::control::mike
