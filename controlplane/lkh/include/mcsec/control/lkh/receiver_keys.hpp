// A receiver's LKH keys for one group (docs/protocol/lkh.md, "Receiver"): its individual key,
// the keys on its path to the root and the current TEK, updated from push messages alone, so
// an EMCON receiver that never transmits still follows every rekey it hears. A message is
// applied once (strictly increasing message ids) and only after the caller verified its
// signature; entries off this receiver's path are skipped without any crypto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mcsec/control/lkh/rekey_content.hpp"
#include "mcsec/control/lkh/tree_shape.hpp"
#include "mcsec/control/lkh/wiped_buffer.hpp"

namespace mcsec::control::lkh {

enum class ApplyResult : std::uint8_t {
    Updated,    // a newer TEK or path key
    Unchanged,  // nothing new for this receiver (or only keys it already held)
    Replayed,   // message id not above the last applied one
    WrongTree,  // another group, degree or height
    // The message replaces keys this receiver cannot open: it missed a rekey that a later State
    // message may still cover, or its path keys are gone (removed, or too far behind): it must
    // re-register when it may transmit, and raises an alarm saying so.
    Behind,
};

class ReceiverKeys {
  public:
    // `individual_key` (kKekBytes), `leaf` and, when the key server hands the path over, its
    // seeds (`path_seeds`: height x kSeedBytes, root first) with the root version they belong
    // to come from registration; without them the path comes with the next push (an admission
    // that renews the path, wrapped under the individual key). `last_message_id`: the newest
    // message the registration answer reflects.
    static std::optional<ReceiverKeys> create(std::vector<std::uint8_t> group_id, TreeShape shape,
                                              NodeIndex leaf,
                                              std::span<const std::uint8_t> individual_key,
                                              std::uint64_t last_message_id = 0,
                                              std::span<const std::uint8_t> path_seeds = {},
                                              std::uint64_t root_version = 0);

    ApplyResult apply(const PushContent& push);

    struct CurrentTek {
        std::uint64_t epoch = 0;
        std::uint32_t spi = 0;
        WipedBuffer key_and_salt;
    };
    const std::optional<CurrentTek>& tek() const noexcept { return tek_; }
    // The TEK a registration answer carried; false for a size other than 20 or 36 bytes.
    bool set_tek(std::uint64_t epoch, std::uint32_t spi, std::span<const std::uint8_t> key);
    std::uint64_t last_message_id() const noexcept { return last_message_id_; }
    std::uint64_t root_version() const noexcept { return root_version_; }
    NodeIndex leaf() const noexcept { return leaf_; }
    // Every key-encryption key this receiver holds now (those of its path nodes whose seeds it
    // has, and its individual key), for the tests that check what a removed receiver can
    // still open.
    std::vector<std::span<const std::uint8_t>> held_keys() const;

  private:
    ReceiverKeys(std::vector<std::uint8_t> group_id, TreeShape shape, NodeIndex leaf);
    // The key this receiver holds for the node at `depth` on its path (depth height(): its
    // leaf), or an empty span.
    std::span<const std::uint8_t> key_at(unsigned depth) const noexcept;
    // Stores the seed of the node at `depth` and derives its key.
    bool set_seed(unsigned depth, std::span<const std::uint8_t> seed);

    std::vector<std::uint8_t> group_id_;
    TreeShape shape_;
    NodeIndex leaf_;
    std::vector<NodeIndex> path_;  // path_[depth]: the node at that depth, path_[height] = leaf_
    WipedBuffer keys_;             // (height + 1) x kKekBytes, indexed by depth
    WipedBuffer seeds_;            // height x kSeedBytes: the inner nodes' seeds
    std::vector<bool> held_;       // by depth
    std::optional<CurrentTek> tek_;
    std::uint64_t last_message_id_ = 0;
    std::uint64_t root_version_ = 0;
};

}  // namespace mcsec::control::lkh
