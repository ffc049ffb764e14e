// LKH key distribution end to end, without a network: a KeyServer and ReceiverKeys for every
// receiver it admitted, push messages applied (or lost) per receiver. The security properties
// are checked with the keys themselves: a removed receiver, keeping every key it ever held and
// hearing every later message, opens none of them; a newcomer opens none sent before it came.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "mcsec/control/lkh/key_server.hpp"
#include "mcsec/control/lkh/receiver_keys.hpp"

namespace mcsec::control::lkh {
namespace {

const std::vector<std::uint8_t> kGroup = {'2', '3', '9', '.', '1', '.', '1', '.', '1'};

// Every key a receiver ever held, and every later push: nothing of what it may not read may
// open under any of them, whatever node or slot an entry names.
bool opens_anything(const std::vector<std::vector<std::uint8_t>>& keys, const PushContent& push) {
    for (const auto& key : keys) {
        for (const WrappedKey& entry : push.keys) {
            if (unwrap_key(key, entry.wrapped)) return true;
        }
        if (push.tek && unwrap_key_padded(key, push.tek->wrapped)) return true;
    }
    return false;
}

class LkhGroup {
  public:
    LkhGroup(unsigned degree, std::size_t capacity, unsigned seed = 1)
        : server_(*KeyServer::create(*TreeShape::for_receivers(degree, capacity), kGroup)),
          rng_(seed) {
        new_tek();
    }

    NodeIndex admit() {
        auto admission = server_.admit();
        EXPECT_TRUE(admission);
        const NodeIndex leaf = admission->leaf;
        receivers_.erase(leaf);
        receivers_.emplace(leaf, *ReceiverKeys::create(kGroup, server_.shape(), leaf,
                                                       admission->individual_key.view(),
                                                       server_.last_message_id()));
        history_[leaf].clear();  // a freed leaf is reused: the new receiver's keys only
        history_[leaf].emplace_back(admission->individual_key.view().begin(),
                                    admission->individual_key.view().end());
        return leaf;
    }

    // Removes `leaf`; its receiver keeps everything it holds (and hears every later push).
    void remove(NodeIndex leaf) {
        ASSERT_TRUE(server_.remove(leaf));
        auto node = receivers_.extract(leaf);
        removed_.push_back(std::move(node.mapped()));
    }

    void new_tek() {
        ++epoch_;
        tek_.resize(36);
        for (auto& byte : tek_) byte = static_cast<std::uint8_t>(rng_());
    }

    // Flushes (with a new TEK when a removal is pending) and delivers the message(s) to every
    // receiver except those `lost` picks; returns the last message.
    PushContent flush(double loss = 0.0) {
        if (server_.removal_pending()) new_tek();
        std::vector<PushContent> messages;
        EXPECT_EQ(server_.flush(Tek{epoch_, 0x1000u + static_cast<std::uint32_t>(epoch_), tek_},
                                messages),
                  FlushError::Ok);
        for (const PushContent& message : messages) deliver(message, loss);
        return messages.back();
    }

    void deliver(const PushContent& push, double loss = 0.0) {
        std::bernoulli_distribution lost(loss);
        for (auto& [leaf, receiver] : receivers_) {
            if (!lost(rng_)) {
                receiver.apply(push);
                remember(leaf, receiver);
            }
        }
        for (std::size_t i = 0; i < removed_history_.size(); ++i) {
            removed_[i].apply(push);
            EXPECT_FALSE(opens_anything(removed_history_[i], push))
                << "a removed receiver opened part of message " << push.message_id;
        }
        pushes_.push_back(push);
    }

    // Every current receiver holds the current TEK.
    bool all_current() const {
        for (const auto& [leaf, receiver] : receivers_) {
            if (!holds_current(receiver)) return false;
        }
        return true;
    }
    bool holds_current(const ReceiverKeys& receiver) const {
        return receiver.tek() && receiver.tek()->epoch == epoch_ &&
               std::ranges::equal(receiver.tek()->key_and_salt.view(), tek_);
    }
    void snapshot_removed() {
        // What each removed receiver held at its removal (called right after remove()).
        while (removed_history_.size() < removed_.size()) {
            std::vector<std::vector<std::uint8_t>> keys;
            for (const auto key : removed_[removed_history_.size()].held_keys()) {
                keys.emplace_back(key.begin(), key.end());
            }
            removed_history_.push_back(std::move(keys));
        }
    }

    KeyServer& server() { return server_; }
    std::map<NodeIndex, ReceiverKeys>& receivers() { return receivers_; }
    const std::vector<ReceiverKeys>& removed() const { return removed_; }
    const std::vector<PushContent>& pushes() const { return pushes_; }
    std::uint64_t epoch() const { return epoch_; }
    std::mt19937& rng() { return rng_; }
    const std::vector<std::vector<std::uint8_t>>& history(NodeIndex leaf) { return history_[leaf]; }

  private:
    void remember(NodeIndex leaf, const ReceiverKeys& receiver) {
        auto& keys = history_[leaf];
        for (const auto key : receiver.held_keys()) {
            std::vector<std::uint8_t> copy(key.begin(), key.end());
            if (std::ranges::find(keys, copy) == keys.end()) keys.push_back(std::move(copy));
        }
    }

    KeyServer server_;
    std::mt19937 rng_;
    std::uint64_t epoch_ = 0;
    std::vector<std::uint8_t> tek_;
    std::map<NodeIndex, ReceiverKeys> receivers_;
    std::vector<ReceiverKeys> removed_;
    std::vector<std::vector<std::vector<std::uint8_t>>> removed_history_;
    std::map<NodeIndex, std::vector<std::vector<std::uint8_t>>> history_;
    std::vector<PushContent> pushes_;
};

TEST(LkhTreeShape, MatchesTheRfc2627Table) {
    // Seed 003's Table 1 (RFC 2627): users, degree 2, keys stored per user.
    for (const auto& [users, storage] :
         std::vector<std::pair<std::size_t, unsigned>>{{8, 4}, {16, 5}, {2048, 12}, {131072, 18}}) {
        const auto shape = TreeShape::for_receivers(2, users);
        ASSERT_TRUE(shape);
        EXPECT_EQ(shape->leaf_count(), users);
        EXPECT_EQ(shape->height() + 1, storage) << users;  // path keys and the individual key
    }
    const auto shape = *TreeShape::of(4, 3);
    EXPECT_EQ(shape.leaf_count(), 64u);
    EXPECT_EQ(shape.first_leaf(), 21u);
    EXPECT_EQ(shape.parent(shape.first_leaf()), 5u);
    EXPECT_EQ(shape.depth(shape.first_leaf()), 3u);
    EXPECT_EQ(shape.slot(shape.child(5, 3)), 3u);
    EXPECT_FALSE(TreeShape::of(3, 4));
    EXPECT_FALSE(TreeShape::for_receivers(2, 0));
    EXPECT_FALSE(TreeShape::for_receivers(2, (std::size_t{1} << 24) + 1));
}

TEST(LkhDistribution, ARemovalInAFullTreeCostsDMinusOneWrapsPerLevel) {
    // RFC 2627's plain LKH wraps d*h - 1 keys per removal ("single" transmissions: 5, 7, 21 at
    // 8, 16, 2048 users with d = 2). The seed chain sends (d-1)*h wraps and h-1 chain markers
    // (the removed leaf's parent has no renewed child to chain from); plus the TEK.
    for (const auto& [degree, users] : std::vector<std::pair<unsigned, std::size_t>>{
             {2, 8}, {2, 16}, {2, 2048}, {4, 256}, {8, 512}}) {
        LkhGroup group(degree, users);
        for (std::size_t i = 0; i < users; ++i) group.admit();
        group.flush();
        ASSERT_TRUE(group.all_current());
        group.remove(group.receivers().begin()->first);
        group.snapshot_removed();
        const PushContent push = group.flush();
        const unsigned height = group.server().shape().height();
        const auto chained =
            std::ranges::count_if(push.keys, [](const WrappedKey& k) { return k.chained; });
        EXPECT_EQ(push.keys.size() - static_cast<std::size_t>(chained), (degree - 1) * height)
            << degree << " " << users;
        EXPECT_EQ(static_cast<unsigned>(chained), height - 1);
        EXPECT_TRUE(push.tek);
        EXPECT_TRUE(group.all_current());
        EXPECT_FALSE(group.holds_current(group.removed().front()));
    }
}

TEST(LkhDistribution, RandomAdmissionsRemovalsAndRekeysKeepTheProperties) {
    for (unsigned seed = 1; seed <= 12; ++seed) {
        const unsigned degree = std::array{2u, 4u, 8u}[seed % 3];
        LkhGroup group(degree, 200, seed);
        std::uniform_int_distribution<int> start(2, 60);
        const int initial = start(group.rng());
        for (int i = 0; i < initial; ++i) group.admit();
        group.flush();
        ASSERT_TRUE(group.all_current()) << seed;
        for (int round = 0; round < 15; ++round) {
            const int op = std::uniform_int_distribution<int>(0, 3)(group.rng());
            if (op == 0 && group.server().receivers() < 200) {
                const std::size_t before = group.pushes().size();
                const NodeIndex leaf = group.admit();
                group.flush();
                // A newcomer opens nothing sent before it came.
                for (std::size_t m = 0; m < before; ++m) {
                    EXPECT_FALSE(opens_anything(group.history(leaf), group.pushes()[m]));
                }
            } else if (op <= 2 && group.receivers().size() > 1) {
                // A batch of removals: one message.
                const int count = std::uniform_int_distribution<int>(
                    1,
                    std::min<int>(5, static_cast<int>(group.receivers().size()) - 1))(group.rng());
                for (int i = 0; i < count; ++i) {
                    auto it = group.receivers().begin();
                    std::advance(it, std::uniform_int_distribution<std::size_t>(
                                         0, group.receivers().size() - 1)(group.rng()));
                    group.remove(it->first);
                    group.snapshot_removed();
                }
                group.flush();
            } else {
                group.new_tek();  // a sender-side (MIKE) rekey: one wrap
                const PushContent push = group.flush();
                EXPECT_TRUE(push.keys.empty());
                EXPECT_TRUE(push.tek);
            }
            ASSERT_TRUE(group.all_current()) << "seed " << seed << " round " << round;
            for (const ReceiverKeys& gone : group.removed())
                EXPECT_FALSE(group.holds_current(gone));
        }
    }
}

TEST(LkhDistribution, ReceiversThatMissedRekeysCatchUpFromOneStateMessageWithoutSending) {
    // EMCON: the receivers only listen. 30% of them miss each of ten rekeys.
    LkhGroup group(4, 500, 7);
    for (int i = 0; i < 300; ++i) group.admit();
    group.flush();
    ASSERT_TRUE(group.all_current());
    const std::uint64_t before_losses = group.server().last_message_id();
    for (int round = 0; round < 10; ++round) {
        group.remove(group.receivers().begin()->first);
        group.snapshot_removed();
        group.flush(0.3);
    }
    std::size_t behind = 0;
    for (const auto& [leaf, receiver] : group.receivers()) behind += !group.holds_current(receiver);
    EXPECT_GT(behind, 50u);  // the test means something
    std::vector<PushContent> state;
    ASSERT_EQ(group.server().state_since(before_losses, state), FlushError::Ok);
    ASSERT_EQ(state.size(), 1u);
    EXPECT_EQ(state[0].kind, PushKind::State);
    group.deliver(state[0]);
    EXPECT_TRUE(group.all_current());
}

TEST(LkhDistribution, AReceiverTooFarBehindSaysSoAndTheRemovedStayOut) {
    LkhGroup group(2, 64, 9);
    for (int i = 0; i < 64; ++i) group.admit();
    group.flush();
    const NodeIndex sleeper = group.receivers().begin()->first;
    // The sleeper hears nothing for three removals in its own half of the tree.
    std::vector<PushContent> missed;
    for (int round = 0; round < 3; ++round) {
        group.remove(std::next(group.receivers().begin(), 1)->first);
        group.snapshot_removed();
        if (group.server().removal_pending()) group.new_tek();
        std::vector<PushContent> push;
        const std::vector<std::uint8_t> tek(36, static_cast<std::uint8_t>(group.epoch()));
        ASSERT_EQ(group.server().flush(Tek{group.epoch(), 1, tek}, push), FlushError::Ok);
        ASSERT_EQ(push.size(), 1u);
        missed.push_back(push[0]);
    }
    // Only the newest rekey arrives: it cannot open it and reports Behind.
    ReceiverKeys& receiver = group.receivers().at(sleeper);
    EXPECT_EQ(receiver.apply(missed.back()), ApplyResult::Behind);
    // A State message covering the gap brings it back.
    std::vector<PushContent> state;
    ASSERT_EQ(group.server().state_since(missed.front().message_id - 1, state), FlushError::Ok);
    ASSERT_EQ(state.size(), 1u);
    EXPECT_EQ(receiver.apply(state[0]), ApplyResult::Updated);
    EXPECT_EQ(receiver.root_version(), state[0].root_version);
    // The same message again is a replay.
    EXPECT_EQ(receiver.apply(state[0]), ApplyResult::Replayed);
}

TEST(LkhDistribution, BigBatchesAreSplitIntoMessagesThatReceiversTakeInOrder) {
    LkhGroup group(2, 1024, 11);
    group.server().set_max_keys_per_message(26);  // one 1,400-byte packet each
    for (int i = 0; i < 1024; ++i) group.admit();
    group.flush();  // the whole tree: many messages
    EXPECT_GT(group.pushes().size(), 70u);
    ASSERT_TRUE(group.all_current());
    for (int i = 0; i < 40; ++i) {
        auto it = group.receivers().begin();
        std::advance(it, 17 * i % group.receivers().size());
        group.remove(it->first);
        group.snapshot_removed();
    }
    const std::size_t before = group.pushes().size();
    group.flush();
    EXPECT_GT(group.pushes().size() - before, 1u);
    for (std::size_t m = before; m < group.pushes().size(); ++m) {
        EXPECT_LE(group.pushes()[m].keys.size(), 26u);
        EXPECT_EQ(group.pushes()[m].tek.has_value(), m + 1 == group.pushes().size());
    }
    EXPECT_TRUE(group.all_current());
}

TEST(LkhDistribution, FlushRefusesToKeepTheTekAfterARemoval) {
    auto server = *KeyServer::create(*TreeShape::of(2, 3), kGroup);
    auto a = server.admit();
    auto b = server.admit();
    ASSERT_TRUE(a && b);
    const std::vector<std::uint8_t> tek(20, 5);
    std::vector<PushContent> push;
    ASSERT_EQ(server.flush(Tek{1, 1, tek}, push), FlushError::Ok);
    EXPECT_EQ(server.flush(Tek{1, 1, tek}, push), FlushError::NothingPending);
    ASSERT_TRUE(server.remove(b->leaf));
    EXPECT_FALSE(server.remove(b->leaf));
    EXPECT_EQ(server.flush(Tek{1, 1, tek}, push), FlushError::NeedsNewTek);
    EXPECT_EQ(server.flush(Tek{0, 1, std::vector<std::uint8_t>(20, 6)}, push), FlushError::BadTek);
    EXPECT_EQ(server.flush(Tek{2, 2, std::vector<std::uint8_t>(16, 6)}, push), FlushError::BadTek);
    EXPECT_EQ(server.flush(Tek{2, 2, std::vector<std::uint8_t>(20, 6)}, push), FlushError::Ok);
    // The freed leaf is the next one admitted (smallest free index first).
    auto c = server.admit();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->leaf, b->leaf);
}

}  // namespace
}  // namespace mcsec::control::lkh
