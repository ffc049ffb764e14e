// libFuzzer target: the MIKE key-tree parser on arbitrary bytes, then the tree operations on
// whatever it accepted. An accepted encoding must re-serialise to the same bytes (the format is
// canonical), and every operation must keep the tree parseable.
#include <cstdint>
#include <vector>

#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/tree_codec.hpp"

namespace mike = mcsec::control::mike;

namespace {

void check_round_trip(const mike::KeyTree& tree) {
    const std::vector<uint8_t> encoding = mike::serialize_tree(tree);
    mike::KeyTree reparsed;
    if (mike::parse_tree(encoding, reparsed) != mike::TreeParseError::Ok) __builtin_trap();
    if (mike::serialize_tree(reparsed) != encoding) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Exactly-sized copy so ASan sees any read past the end.
    const std::vector<uint8_t> input(data, data + size);
    mike::KeyTree tree;
    if (mike::parse_tree(input, tree) != mike::TreeParseError::Ok) {
        if (!tree.empty() || tree.epoch() != 0) __builtin_trap();  // untouched on failure
        return 0;
    }
    if (mike::serialize_tree(tree) != input) __builtin_trap();
    if (tree.member_count() > mike::KeyTree::kMaxMembers) __builtin_trap();

    // Structural operations only (no X25519: it would slow the fuzzer without adding coverage
    // of the parser): a join, the leave of the first member and a refresh.
    const std::vector<mcsec::control::NodeId> members = tree.members();
    if (tree.join("fuzz-joiner", mike::X25519PublicKey{}).ok()) check_round_trip(tree);
    if (!members.empty()) {
        if (tree.leave(members.front()).ok()) check_round_trip(tree);
        if (members.size() > 1) {
            const auto refreshed = tree.refresh(members.back());
            if (!refreshed && refreshed.error() != mike::MikeError::EpochExhausted)
                __builtin_trap();
        }
        check_round_trip(tree);
    }
    return 0;
}
