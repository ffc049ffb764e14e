// A receiver following LKH push messages.
#include "mcsec/control/lkh/receiver_keys.hpp"

#include <algorithm>

#include "mcsec/control/lkh/seed_chain.hpp"

namespace mcsec::control::lkh {

std::optional<ReceiverKeys> ReceiverKeys::create(std::vector<std::uint8_t> group_id,
                                                 TreeShape shape, NodeIndex leaf,
                                                 std::span<const std::uint8_t> individual_key,
                                                 std::uint64_t last_message_id,
                                                 std::span<const std::uint8_t> path_seeds,
                                                 std::uint64_t root_version) {
    if (!shape.is_leaf(leaf) || individual_key.size() != kKekBytes || group_id.empty() ||
        (!path_seeds.empty() && path_seeds.size() != shape.height() * kSeedBytes)) {
        return std::nullopt;
    }
    ReceiverKeys out(std::move(group_id), shape, leaf);
    std::ranges::copy(individual_key,
                      out.keys_.slice(shape.height() * kKekBytes, kKekBytes).begin());
    out.held_[shape.height()] = true;
    for (unsigned depth = 0; depth < shape.height() && !path_seeds.empty(); ++depth) {
        if (!out.set_seed(depth, path_seeds.subspan(std::size_t{depth} * kSeedBytes, kSeedBytes))) {
            return std::nullopt;
        }
    }
    out.last_message_id_ = last_message_id;
    out.root_version_ = root_version;
    return out;
}

ReceiverKeys::ReceiverKeys(std::vector<std::uint8_t> group_id, TreeShape shape, NodeIndex leaf)
    : group_id_(std::move(group_id)),
      shape_(shape),
      leaf_(leaf),
      path_(shape.height() + 1),
      keys_((shape.height() + 1) * kKekBytes),
      seeds_(shape.height() * kSeedBytes),
      held_(shape.height() + 1, false) {
    NodeIndex node = leaf;
    for (unsigned depth = shape.height() + 1; depth > 0; --depth) {
        path_[depth - 1] = node;
        if (node != 0) node = shape.parent(node);
    }
}

std::span<const std::uint8_t> ReceiverKeys::key_at(unsigned depth) const noexcept {
    if (depth > shape_.height() || !held_[depth]) return {};
    return keys_.slice(std::size_t{depth} * kKekBytes, kKekBytes);
}

ApplyResult ReceiverKeys::apply(const PushContent& push) {
    if (push.group_id != group_id_ || push.degree != shape_.degree() ||
        push.height != shape_.height()) {
        return ApplyResult::WrongTree;
    }
    if (push.message_id <= last_message_id_) return ApplyResult::Replayed;
    last_message_id_ = push.message_id;
    bool updated = false;
    bool failed = false;
    for (const WrappedKey& entry : push.keys) {
        // Entries are deepest first; this receiver needs the one for each node on its path
        // that names its own child on the path.
        if (!shape_.is_node(entry.node) || shape_.is_leaf(entry.node)) continue;
        const unsigned depth = shape_.depth(entry.node);
        if (path_[depth] != entry.node || shape_.slot(path_[depth + 1]) != entry.slot) continue;
        std::vector<std::uint8_t> seed(kSeedBytes);
        bool ok = false;
        if (entry.chained) {
            // The child's seed is this message's (or an earlier part's): derive from it. A chain
            // from a leaf (no seed) or a child we never had cannot be followed.
            ok = depth + 1 < shape_.height() && held_[depth + 1] &&
                 parent_seed(seeds_.slice(std::size_t{depth + 1} * kSeedBytes, kSeedBytes), seed);
        } else if (const auto child_key = key_at(depth + 1); !child_key.empty()) {
            auto plain = unwrap_key(child_key, entry.wrapped);
            ok = plain && plain->size() == kSeedBytes;
            if (ok) std::ranges::copy(*plain, seed.begin());
            if (plain) std::ranges::fill(*plain, 0);
        }
        const WipedBuffer fresh = WipedBuffer::adopt(std::move(seed));
        if (!ok) {
            failed = true;  // wrapped under a key we do not hold: we missed its replacement
            continue;
        }
        const auto current = seeds_.slice(std::size_t{depth} * kSeedBytes, kSeedBytes);
        if (!held_[depth] || !std::ranges::equal(current, fresh.view())) updated = true;
        if (!set_seed(depth, fresh.view())) {
            failed = true;
            continue;
        }
        if (depth == 0) root_version_ = push.root_version;
    }
    if (push.tek && !key_at(0).empty() && root_version_ == push.root_version &&
        (!tek_ || push.tek->epoch > tek_->epoch)) {
        auto plain = unwrap_key_padded(key_at(0), push.tek->wrapped);
        if (plain && (plain->size() == 20 || plain->size() == kMaxTekBytes)) {
            tek_ =
                CurrentTek{push.tek->epoch, push.tek->spi, WipedBuffer::adopt(std::move(*plain))};
            updated = true;
        } else {
            failed = true;
        }
    }
    // Only the message with the TEK (the last of a flush) says for sure which root key is
    // current: the messages before it name the root that their keys lead up to.
    if (failed || (push.tek && root_version_ != push.root_version)) return ApplyResult::Behind;
    return updated ? ApplyResult::Updated : ApplyResult::Unchanged;
}

bool ReceiverKeys::set_tek(std::uint64_t epoch, std::uint32_t spi,
                           std::span<const std::uint8_t> key) {
    if (key.size() != 20 && key.size() != kMaxTekBytes) return false;
    WipedBuffer copy(key.size());
    std::ranges::copy(key, copy.writable().begin());
    tek_ = CurrentTek{epoch, spi, std::move(copy)};
    return true;
}

bool ReceiverKeys::set_seed(unsigned depth, std::span<const std::uint8_t> seed) {
    std::ranges::copy(seed, seeds_.slice(std::size_t{depth} * kSeedBytes, kSeedBytes).begin());
    held_[depth] = key_from_seed(seed, keys_.slice(std::size_t{depth} * kKekBytes, kKekBytes));
    return held_[depth];
}

std::vector<std::span<const std::uint8_t>> ReceiverKeys::held_keys() const {
    std::vector<std::span<const std::uint8_t>> out;
    for (unsigned depth = 0; depth <= shape_.height(); ++depth) {
        if (held_[depth]) out.push_back(key_at(depth));
    }
    return out;
}

}  // namespace mcsec::control::lkh
