// The LS frames that carry a key tree between a group's senders: chunked replicas put back
// together only when every chunk of one serial came in order, revocation lists, and the restore
// of what they carry.
#include <gtest/gtest.h>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/tree_replica.hpp"

namespace mcsec::control::lkh {
namespace {

using idp::test::TestAuthenticator;
const std::vector<std::uint8_t> kGroup = {'2', '3', '9', '.', '1', '.', '1', '.', '1'};

TreeReplica replica_of(std::size_t state_bytes, std::uint64_t serial) {
    TreeReplica r;
    r.group_id = kGroup;
    r.server = "sender-1";
    r.serial = serial;
    r.revoked = {"rx-4", "rx-5"};
    r.state = WipedBuffer(state_bytes);
    for (std::size_t i = 0; i < state_bytes; ++i)
        r.state.writable()[i] = static_cast<std::uint8_t>(i * 7);
    return r;
}

TEST(LkhReplica, ChunksComeBackTogetherInOrderOnly) {
    const TreeReplica sent = replica_of(150000, 3);  // three chunks
    const auto frames = encode_replica(sent);
    ASSERT_EQ(frames.size(), 3u);
    for (const auto& f : frames) {
        EXPECT_TRUE(is_replica_frame(f));
        EXPECT_LE(f.size(), kMaxReplicaFrameBytes);
    }
    ReplicaAssembler assembler;
    TreeReplica got;
    EXPECT_EQ(assembler.add(frames[0], got), ReplicaAssembler::Result::Incomplete);
    EXPECT_EQ(assembler.add(frames[1], got), ReplicaAssembler::Result::Incomplete);
    ASSERT_EQ(assembler.add(frames[2], got), ReplicaAssembler::Result::Complete);
    EXPECT_EQ(got.group_id, kGroup);
    EXPECT_EQ(got.server, "sender-1");
    EXPECT_EQ(got.serial, 3u);
    EXPECT_EQ(got.revoked, sent.revoked);
    EXPECT_TRUE(std::ranges::equal(got.state.view(), sent.state.view()));
    // The same serial again, or an older one: stale.
    EXPECT_EQ(assembler.add(frames[0], got), ReplicaAssembler::Result::Stale);

    // A lost chunk: the replica is dropped, the next one is taken whole.
    const auto next = encode_replica(replica_of(150000, 4));
    EXPECT_EQ(assembler.add(next[0], got), ReplicaAssembler::Result::Incomplete);
    EXPECT_EQ(assembler.add(next[2], got), ReplicaAssembler::Result::Malformed);
    EXPECT_EQ(assembler.add(next[1], got), ReplicaAssembler::Result::Malformed);
    const auto again = encode_replica(replica_of(150000, 5));
    EXPECT_EQ(assembler.add(again[0], got), ReplicaAssembler::Result::Incomplete);
    EXPECT_EQ(assembler.add(again[1], got), ReplicaAssembler::Result::Incomplete);
    EXPECT_EQ(assembler.add(again[2], got), ReplicaAssembler::Result::Complete);
    EXPECT_EQ(got.serial, 5u);
}

TEST(LkhReplica, BrokenFramesAreRefused) {
    const auto frames = encode_replica(replica_of(100, 1));
    ASSERT_EQ(frames.size(), 1u);
    for (std::size_t cut = 0; cut < frames[0].size(); ++cut) {
        ReplicaAssembler assembler;
        TreeReplica got;
        const std::span<const std::uint8_t> part(frames[0].data(), cut);
        EXPECT_EQ(assembler.add(part, got), ReplicaAssembler::Result::Malformed) << cut;
    }
    auto longer = frames[0];
    longer.push_back(0);
    ReplicaAssembler assembler;
    TreeReplica got;
    EXPECT_EQ(assembler.add(longer, got), ReplicaAssembler::Result::Malformed);
    RevokedList list;
    EXPECT_FALSE(parse_revoked(frames[0], list)) << "a CHUNK is not a REVOKED";
}

TEST(LkhReplica, RevokedListsRoundTrip) {
    const RevokedList sent{kGroup, "sender-2", {"rx-1", "rx-9"}};
    const auto frame = encode_revoked(sent);
    RevokedList got;
    ASSERT_TRUE(parse_revoked(frame, got));
    EXPECT_EQ(got.group_id, kGroup);
    EXPECT_EQ(got.sender, "sender-2");
    EXPECT_EQ(got.revoked, sent.revoked);
    for (std::size_t cut = 0; cut < frame.size(); ++cut) {
        EXPECT_FALSE(parse_revoked(std::span(frame).first(cut), got)) << cut;
    }
}

TEST(LkhReplica, AWholeTreeTravelsAndIsRestored) {
    TestAuthenticator tm("sender-1");
    DistributionParams params;
    params.group_id = kGroup;
    params.max_receivers = 4096;
    auto distribution = *KeyDistribution::create(params, tm);
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE(distribution.admit("rx-" + std::to_string(i), {}));
    ASSERT_TRUE(distribution.on_tek(Tek{1, 5, std::vector<std::uint8_t>(36, 1)}, {}));
    TreeReplica sent;
    sent.group_id = kGroup;
    sent.server = "sender-1";
    sent.serial = 1;
    sent.state = distribution.export_state({});
    const auto frames = encode_replica(sent);
    EXPECT_GE(frames.size(), 2u) << sent.state.size() << " bytes of state";
    ReplicaAssembler assembler;
    TreeReplica got;
    for (const auto& f : frames) assembler.add(f, got);
    TestAuthenticator successor("sender-2");
    auto restored = KeyDistribution::restore(params, successor, got.state.view(), {});
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->receivers(), distribution.receivers());
    EXPECT_EQ(restored->tree_id(), distribution.tree_id());
    EXPECT_GT(restored->last_message_id(), distribution.last_message_id());
}

}  // namespace
}  // namespace mcsec::control::lkh
