// A receiver following LKH push messages.
#include "mcsec/control/lkh/receiver_keys.hpp"

#include <algorithm>

namespace mcsec::control::lkh {

std::optional<ReceiverKeys> ReceiverKeys::create(std::vector<std::uint8_t> group_id,
                                                 TreeShape shape, NodeIndex leaf,
                                                 std::span<const std::uint8_t> individual_key,
                                                 std::uint64_t last_message_id) {
    if (!shape.is_leaf(leaf) || individual_key.size() != kKekBytes || group_id.empty()) {
        return std::nullopt;
    }
    ReceiverKeys out(std::move(group_id), shape, leaf);
    std::ranges::copy(individual_key,
                      out.keys_.slice(shape.height() * kKekBytes, kKekBytes).begin());
    out.held_[shape.height()] = true;
    out.last_message_id_ = last_message_id;
    return out;
}

ReceiverKeys::ReceiverKeys(std::vector<std::uint8_t> group_id, TreeShape shape, NodeIndex leaf)
    : group_id_(std::move(group_id)),
      shape_(shape),
      leaf_(leaf),
      path_(shape.height() + 1),
      keys_((shape.height() + 1) * kKekBytes),
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
        // that is wrapped under its own child on the path.
        if (!shape_.is_node(entry.node) || shape_.is_leaf(entry.node)) continue;
        const unsigned depth = shape_.depth(entry.node);
        if (path_[depth] != entry.node || shape_.slot(path_[depth + 1]) != entry.slot) continue;
        const auto child_key = key_at(depth + 1);
        if (child_key.empty()) {
            failed = true;
            continue;
        }
        auto plain = unwrap_key(child_key, entry.wrapped);
        if (!plain || plain->size() != kKekBytes) {
            failed = true;  // wrapped under a key we do not hold: we missed its replacement
            continue;
        }
        const WipedBuffer key = WipedBuffer::adopt(std::move(*plain));
        auto slot = keys_.slice(std::size_t{depth} * kKekBytes, kKekBytes);
        if (!held_[depth] || !std::ranges::equal(slot, key.view())) updated = true;
        std::ranges::copy(key.view(), slot.begin());
        held_[depth] = true;
        if (depth == 0) root_version_ = push.root_version;
    }
    if (push.tek && !key_at(0).empty() && root_version_ == push.root_version &&
        (!tek_ || push.tek->epoch > tek_->epoch)) {
        auto plain = unwrap_key_padded(key_at(0), push.tek->wrapped);
        if (plain && (plain->size() == 20 || plain->size() == kMaxTekBytes)) {
            tek_ = CurrentTek{push.tek->epoch, push.tek->spi, WipedBuffer::adopt(std::move(*plain))};
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

std::vector<std::span<const std::uint8_t>> ReceiverKeys::held_keys() const {
    std::vector<std::span<const std::uint8_t>> out;
    for (unsigned depth = 0; depth <= shape_.height(); ++depth) {
        if (held_[depth]) out.push_back(key_at(depth));
    }
    return out;
}

}  // namespace mcsec::control::lkh
