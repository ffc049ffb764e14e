// The LKH key server of one group (RFC 2627; docs/protocol/lkh.md "Key server"): run by the
// group's designated sender, it holds every key of the tree, admits receivers to free leaves
// and turns admissions and removals into push messages. Pure state: no clock, no socket; the
// caller decides when a batch window ends (flush) and signs and sends what it returns.
//
// An admission or a removal marks the keys on the leaf's path as to be replaced. flush() then
// replaces every marked node that still has receivers below it, deepest first: a node with a
// replaced inner child takes its seed from that child's new seed (seed_chain.hpp), any other
// draws a random one, and its seed is wrapped under the key of every other occupied child. A
// removal costs (d-1)*h wraps in a full tree of degree d and height h (RFC 2627's plain LKH:
// d*h - 1); a batch of removals less than the sum of theirs, since shared ancestors are
// replaced once (Li, Yang, Gouda, Lam: batch rekeying). The TEK goes under the new root key.
// A removal requires a new TEK (the removed receiver knows the old).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mcsec/control/lkh/rekey_content.hpp"
#include "mcsec/control/lkh/seed_chain.hpp"
#include "mcsec/control/lkh/tree_shape.hpp"
#include "mcsec/control/lkh/wiped_buffer.hpp"

namespace mcsec::control::lkh {

struct Tek {
    std::uint64_t epoch = 0;
    std::uint32_t spi = 0;
    std::span<const std::uint8_t> key_and_salt;  // 20 or 36 bytes
};

struct Admission {
    NodeIndex leaf = 0;
    WipedBuffer individual_key;  // kKekBytes: goes to the receiver over the registration channel
};

enum class FlushError : std::uint8_t {
    Ok,
    NothingPending,
    NeedsNewTek,  // a receiver was removed: the TEK must change (a newer epoch)
    BadTek,       // size other than 20 or 36 bytes, or an older epoch than the current one
    CryptoFailed,
};

class KeyServer {
  public:
    // `first_message_id`: the id of the first message (>= 1). A designated sender that starts a
    // tree where another one ran before picks one above every id that one may have sent.
    static std::optional<KeyServer> create(TreeShape shape, std::vector<std::uint8_t> group_id,
                                           std::uint64_t first_message_id = 1);

    const TreeShape& shape() const noexcept { return shape_; }
    std::size_t receivers() const noexcept { return receivers_; }
    std::uint64_t last_message_id() const noexcept { return message_id_; }
    // Random, drawn at create(): every message names the tree it belongs to.
    std::uint64_t tree_id() const noexcept { return tree_id_; }
    std::uint64_t root_version() const noexcept { return root_version_; }
    std::uint64_t tek_epoch() const noexcept { return tek_epoch_; }
    bool pending() const noexcept { return !dirty_list_.empty(); }
    bool removal_pending() const noexcept { return removal_pending_; }
    bool is_occupied(NodeIndex leaf) const noexcept;

    // A new receiver on the free leaf with the smallest index; nullopt when the tree is full.
    // PathRenewal::Renew marks its path for renewal: the next flush gives it fresh seeds,
    // never ones that protected an earlier message (backward secrecy), at the cost of a push of
    // (d-1)*h wraps per admission. PathRenewal::HandOver keeps the path: the newcomer gets the
    // current seeds from path_seeds() with its registration answer and nothing is pushed, but
    // it can open what was wrapped under them before it came (docs/protocol/lkh.md).
    enum class PathRenewal : std::uint8_t { Renew, HandOver };
    std::optional<Admission> admit(PathRenewal renewal = PathRenewal::Renew);
    // False if `leaf` holds no receiver.
    bool remove(NodeIndex leaf);

    // The Rekey message(s) for everything marked since the last flush; `tek` is the group's
    // current data key (a newer one after a removal). Each message takes the next message id;
    // more than one only when the keys exceed max_keys_per_message() (a big batch, or the
    // first flush of a full tree): deepest keys first, the root key and the TEK in the last.
    FlushError flush(const Tek& tek, std::vector<PushContent>& out);
    // State message(s): every key replaced after message `since` (0: every key), wrapped under
    // the children's current keys, and the TEK: whoever held the tree's keys as of `since` and
    // missed what came after catches up from them alone.
    FlushError state_since(std::uint64_t since, std::vector<PushContent>& out);

    // Wrapped keys per message: 1,400 by default (63,000 bytes of keys, room left for a
    // certificate in the 65,000-byte datagram); a narrowband link may ask for fewer (26 keep a
    // message within one 1,400-byte IP packet).
    std::size_t max_keys_per_message() const noexcept { return max_keys_; }
    void set_max_keys_per_message(std::size_t keys) noexcept {
        max_keys_ = std::clamp<std::size_t>(keys, 8, 1400);
    }

    // The seeds on `leaf`'s path, root first, for a registration answer that hands the path
    // over at once (ReceiverKeys::create takes them).
    std::vector<std::span<const std::uint8_t>> path_seeds(NodeIndex leaf) const;

    // Message ids from here on are at least `floor` (they never go down): a key server that
    // continues another's tree, or numbers by the clock, keeps receivers from taking its
    // messages for replays.
    void raise_message_ids(std::uint64_t floor) noexcept {
        if (floor > message_id_ + 1) message_id_ = floor - 1;
    }

    // The whole tree as bytes, for the group's other senders (key_server_state.cpp): every
    // occupied node's seed (a leaf's individual key), its version, what is pending, the ids.
    // Not the TEK: the successor has its own from MIKE. Secret: wiped with the buffer.
    WipedBuffer export_state() const;
    // The tree export_state() wrote, for `group_id`; nullopt if the bytes are not one.
    static std::optional<KeyServer> restore(std::span<const std::uint8_t> state,
                                            std::vector<std::uint8_t> group_id);

  private:
    KeyServer(TreeShape shape, std::vector<std::uint8_t> group_id);
    std::span<std::uint8_t> key_of(NodeIndex node) noexcept {
        return keys_.slice(std::size_t{node} * kKekBytes, kKekBytes);
    }
    std::span<const std::uint8_t> key_of(NodeIndex node) const noexcept {
        return keys_.slice(std::size_t{node} * kKekBytes, kKekBytes);
    }
    std::span<std::uint8_t> seed_of(NodeIndex node) noexcept {
        return seeds_.slice(std::size_t{node} * kSeedBytes, kSeedBytes);
    }
    std::span<const std::uint8_t> seed_of(NodeIndex node) const noexcept {
        return seeds_.slice(std::size_t{node} * kSeedBytes, kSeedBytes);
    }
    // A new seed for inner node `node` (from `chain_child`'s, or random) and its key.
    bool renew(NodeIndex node, std::optional<unsigned> chain_slot);
    void mark_path(NodeIndex leaf);
    PushContent begin(PushKind kind);
    // Wraps `node`'s key under its occupied children's keys into the last message of `out`,
    // starting a new message (the next id) when it would not fit; returns the id used.
    // `chain_slot`: the child whose new seed `node`'s derives from (a marker, no wrap).
    std::optional<std::uint64_t> wrap_children(NodeIndex node, std::optional<unsigned> chain_slot,
                                               PushKind kind, std::vector<PushContent>& out);
    FlushError finish(std::uint64_t previous_root_version, std::vector<PushContent>& out) const;

    TreeShape shape_;
    std::vector<std::uint8_t> group_id_;
    WipedBuffer keys_;                     // node_count x kKekBytes; leaves: individual keys
    WipedBuffer seeds_;                    // first_leaf x kSeedBytes: inner nodes' seeds
    std::vector<std::uint64_t> versions_;  // message id that last replaced each key
    std::vector<std::uint32_t> occupied_;  // receivers in each node's subtree
    std::vector<bool> dirty_;
    std::vector<NodeIndex> dirty_list_;
    std::vector<NodeIndex> free_leaves_;  // a stack, smallest index on top
    std::size_t receivers_ = 0;
    std::uint64_t message_id_ = 0;
    std::uint64_t tree_id_ = 0;
    std::size_t max_keys_ = 1400;
    std::uint64_t root_version_ = 0;
    WipedBuffer tek_key_;  // the current TEK (key || salt), empty before the first flush
    std::uint64_t tek_epoch_ = 0;
    std::uint32_t tek_spi_ = 0;
    bool removal_pending_ = false;
};

}  // namespace mcsec::control::lkh
