// The LKH key server: admissions, removals, batched rekeys and catch-up state messages.
#include "mcsec/control/lkh/key_server.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <functional>

namespace mcsec::control::lkh {

std::optional<KeyServer> KeyServer::create(TreeShape shape, std::vector<std::uint8_t> group_id,
                                           std::uint64_t first_message_id) {
    if (group_id.empty() || group_id.size() > 255 || first_message_id == 0) return std::nullopt;
    KeyServer server(shape, std::move(group_id));
    server.message_id_ = first_message_id - 1;
    while (server.tree_id_ == 0) {
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&server.tree_id_),
                       sizeof server.tree_id_) != 1) {
            return std::nullopt;
        }
    }
    return server;
}

KeyServer::KeyServer(TreeShape shape, std::vector<std::uint8_t> group_id)
    : shape_(shape),
      group_id_(std::move(group_id)),
      keys_(shape.node_count() * kKekBytes),
      seeds_(std::size_t{shape.first_leaf()} * kSeedBytes),
      versions_(shape.node_count(), 0),
      occupied_(shape.node_count(), 0),
      dirty_(shape.node_count(), false) {
    free_leaves_.reserve(shape.leaf_count());
    for (std::size_t id = shape.leaf_count(); id > 0; --id)
        free_leaves_.push_back(shape.leaf(id - 1));
}

bool KeyServer::is_occupied(NodeIndex leaf) const noexcept {
    return shape_.is_leaf(leaf) && occupied_[leaf] != 0;
}

void KeyServer::mark_path(NodeIndex leaf) {
    NodeIndex node = leaf;
    while (node != 0) {
        node = shape_.parent(node);
        if (!dirty_[node]) {
            dirty_[node] = true;
            dirty_list_.push_back(node);
        }
    }
}

std::optional<Admission> KeyServer::admit(PathRenewal renewal) {
    if (free_leaves_.empty()) return std::nullopt;
    Admission admission;
    admission.leaf = free_leaves_.back();
    admission.individual_key = WipedBuffer(kKekBytes);
    if (RAND_bytes(admission.individual_key.writable().data(), static_cast<int>(kKekBytes)) != 1) {
        return std::nullopt;
    }
    free_leaves_.pop_back();
    std::ranges::copy(admission.individual_key.view(), key_of(admission.leaf).begin());
    versions_[admission.leaf] = message_id_ + 1;
    for (NodeIndex node = admission.leaf;; node = shape_.parent(node)) {
        // A node nobody was below holds no seed yet (or a wiped one): a fresh random seed,
        // which nobody else needs to hear about.
        if (node != admission.leaf && occupied_[node] == 0 && !renew(node, std::nullopt)) {
            return std::nullopt;
        }
        ++occupied_[node];
        if (node == 0) break;
    }
    ++receivers_;
    if (renewal == PathRenewal::Renew) mark_path(admission.leaf);
    return admission;
}

bool KeyServer::remove(NodeIndex leaf) {
    if (!is_occupied(leaf)) return false;
    for (NodeIndex node = leaf;; node = shape_.parent(node)) {
        --occupied_[node];
        if (node == 0) break;
    }
    std::ranges::fill(key_of(leaf), 0);
    versions_[leaf] = 0;
    // Pushed in reverse so the smallest free index is admitted next.
    free_leaves_.insert(std::ranges::upper_bound(free_leaves_, leaf, std::greater<>{}), leaf);
    --receivers_;
    removal_pending_ = true;
    mark_path(leaf);
    return true;
}

PushContent KeyServer::begin(PushKind kind) {
    PushContent out;
    out.kind = kind;
    out.group_id = group_id_;
    out.message_id = ++message_id_;
    out.tree_id = tree_id_;
    out.degree = static_cast<std::uint8_t>(shape_.degree());
    out.height = static_cast<std::uint8_t>(shape_.height());
    return out;
}

bool KeyServer::renew(NodeIndex node, std::optional<unsigned> chain_slot) {
    const auto seed = seed_of(node);
    const bool ok = chain_slot ? parent_seed(seed_of(shape_.child(node, *chain_slot)), seed)
                               : RAND_bytes(seed.data(), static_cast<int>(kSeedBytes)) == 1;
    return ok && key_from_seed(seed, key_of(node));
}

std::optional<std::uint64_t> KeyServer::wrap_children(NodeIndex node,
                                                      std::optional<unsigned> chain_slot,
                                                      PushKind kind,
                                                      std::vector<PushContent>& out) {
    std::size_t entries = 0;
    for (unsigned slot = 0; slot < shape_.degree(); ++slot) {
        entries += occupied_[shape_.child(node, slot)] != 0 ? 1 : 0;
    }
    if (out.empty() || out.back().keys.size() + entries > max_keys_) out.push_back(begin(kind));
    PushContent& message = out.back();
    for (unsigned slot = 0; slot < shape_.degree(); ++slot) {
        const NodeIndex child = shape_.child(node, slot);
        if (occupied_[child] == 0) continue;
        WrappedKey entry;
        entry.node = node;
        entry.slot = static_cast<std::uint8_t>(slot);
        if (chain_slot && *chain_slot == slot) {
            entry.chained = true;
        } else {
            auto wrapped = wrap_key(key_of(child), seed_of(node));
            if (!wrapped || wrapped->size() != kWrappedKekBytes) return std::nullopt;
            std::ranges::copy(*wrapped, entry.wrapped.begin());
        }
        message.keys.push_back(entry);
    }
    return message.message_id;
}

// Every message but the last names the root version before it (the root key comes last, so a
// receiver that took them all holds that one until then); the last carries the TEK under the
// root key.
FlushError KeyServer::finish(std::uint64_t previous_root_version,
                             std::vector<PushContent>& out) const {
    for (PushContent& message : out) message.root_version = previous_root_version;
    PushContent& last = out.back();
    last.root_version = root_version_;
    if (occupied_[0] == 0 || tek_key_.empty()) return FlushError::Ok;  // nobody to tell
    auto wrapped = wrap_key_padded(key_of(0), tek_key_.view());
    if (!wrapped) return FlushError::CryptoFailed;
    last.tek = WrappedTek{tek_epoch_, tek_spi_, std::move(*wrapped)};
    return FlushError::Ok;
}

FlushError KeyServer::flush(const Tek& tek, std::vector<PushContent>& out) {
    const bool same_tek = tek_key_.size() == tek.key_and_salt.size() &&
                          std::ranges::equal(tek_key_.view(), tek.key_and_salt);
    if (tek.key_and_salt.size() != 20 && tek.key_and_salt.size() != kMaxTekBytes) {
        return FlushError::BadTek;
    }
    if (tek.epoch < tek_epoch_ || (tek.epoch == tek_epoch_ && !tek_key_.empty() && !same_tek)) {
        return FlushError::BadTek;
    }
    if (removal_pending_ && (tek.epoch == tek_epoch_ || same_tek)) return FlushError::NeedsNewTek;
    const bool new_tek = tek_key_.empty() || tek.epoch > tek_epoch_;
    if (dirty_list_.empty() && !new_tek) return FlushError::NothingPending;

    std::vector<PushContent> messages;
    const std::uint64_t previous_root_version = root_version_;
    std::ranges::sort(dirty_list_, std::greater<>{});  // deepest first: children before parents
    // Nodes renewed by this flush (their dirty flag still set until the end), so a parent can
    // chain from one of them.
    for (const NodeIndex node : dirty_list_) {
        if (occupied_[node] == 0) {
            std::ranges::fill(key_of(node), 0);  // nobody below: the key is not needed
            std::ranges::fill(seed_of(node), 0);
            versions_[node] = 0;
            continue;
        }
        std::optional<unsigned> chain_slot;
        for (unsigned slot = 0; slot < shape_.degree() && !chain_slot; ++slot) {
            const NodeIndex child = shape_.child(node, slot);
            if (!shape_.is_leaf(child) && dirty_[child] && occupied_[child] != 0) chain_slot = slot;
        }
        if (!renew(node, chain_slot)) return FlushError::CryptoFailed;
        const auto id = wrap_children(node, chain_slot, PushKind::Rekey, messages);
        if (!id) return FlushError::CryptoFailed;
        versions_[node] = *id;
        if (node == 0) root_version_ = *id;
    }
    for (const NodeIndex node : dirty_list_) dirty_[node] = false;
    dirty_list_.clear();
    removal_pending_ = false;
    if (messages.empty()) messages.push_back(begin(PushKind::Rekey));  // a new TEK only
    if (new_tek) {
        WipedBuffer key(tek.key_and_salt.size());
        std::ranges::copy(tek.key_and_salt, key.writable().begin());
        tek_key_ = std::move(key);
        tek_epoch_ = tek.epoch;
        tek_spi_ = tek.spi;
    }
    if (const FlushError error = finish(previous_root_version, messages); error != FlushError::Ok) {
        return error;
    }
    out = std::move(messages);
    return FlushError::Ok;
}

FlushError KeyServer::state_since(std::uint64_t since, std::vector<PushContent>& out) {
    if (tek_key_.empty()) return FlushError::NothingPending;
    std::vector<PushContent> messages;
    for (std::size_t i = shape_.first_leaf(); i > 0; --i) {
        const auto node = static_cast<NodeIndex>(i - 1);
        if (occupied_[node] == 0 || versions_[node] <= since) continue;
        // No chains here: a receiver catching up may have missed the child's renewal too.
        if (!wrap_children(node, std::nullopt, PushKind::State, messages)) {
            return FlushError::CryptoFailed;
        }
    }
    if (messages.empty()) messages.push_back(begin(PushKind::State));
    // Keys are not replaced here: every message names the current root version.
    if (const FlushError error = finish(root_version_, messages); error != FlushError::Ok) {
        return error;
    }
    out = std::move(messages);
    return FlushError::Ok;
}

std::vector<std::span<const std::uint8_t>> KeyServer::path_seeds(NodeIndex leaf) const {
    std::vector<std::span<const std::uint8_t>> out;
    if (!is_occupied(leaf)) return out;
    for (NodeIndex node = shape_.parent(leaf);; node = shape_.parent(node)) {
        out.insert(out.begin(), seed_of(node));
        if (node == 0) break;
    }
    return out;
}

}  // namespace mcsec::control::lkh
