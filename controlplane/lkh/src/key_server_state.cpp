// A key server's tree as bytes and back, so another sender of the group can continue it
// (docs/protocol/lkh.md, "Key-server redundancy"). The bytes travel only between senders, over
// their mutually authenticated TLS channel; they hold every key of the tree.
//
//   u8 format (1) | u8 degree | u8 height | u64 tree id | u64 last message id | u64 root version
//   | u64 TEK epoch | u32 TEK SPI | u8 removal pending | u16 max keys per message
//   | u32 entries, each: u32 node | u64 version | 32 bytes (an inner node's seed, a leaf's key)
//   | u32 pending nodes, each u32
// Entries are exactly the occupied nodes: the leaves of the receivers and their ancestors.
#include <algorithm>

#include "mcsec/control/lkh/key_server.hpp"
#include "mcsec/control/wire/byte_io.hpp"

namespace mcsec::control::lkh {

namespace {

constexpr std::uint8_t kStateFormat = 1;

}  // namespace

WipedBuffer KeyServer::export_state() const {
    std::vector<std::uint8_t> out;
    wire::ByteWriter writer(out);
    writer.u8(kStateFormat);
    writer.u8(static_cast<std::uint8_t>(shape_.degree()));
    writer.u8(static_cast<std::uint8_t>(shape_.height()));
    writer.u64(tree_id_);
    writer.u64(message_id_);
    writer.u64(root_version_);
    writer.u64(tek_epoch_);
    writer.u32(tek_spi_);
    writer.u8(removal_pending_ ? 1 : 0);
    writer.u16(static_cast<std::uint16_t>(max_keys_));
    std::uint32_t entries = 0;
    for (std::size_t node = 0; node < shape_.node_count(); ++node) entries += occupied_[node] != 0;
    writer.u32(entries);
    for (std::size_t i = 0; i < shape_.node_count(); ++i) {
        if (occupied_[i] == 0) continue;
        const auto node = static_cast<NodeIndex>(i);
        writer.u32(node);
        writer.u64(versions_[node]);
        writer.bytes(shape_.is_leaf(node) ? key_of(node) : seed_of(node));
    }
    writer.u32(static_cast<std::uint32_t>(dirty_list_.size()));
    for (const NodeIndex node : dirty_list_) writer.u32(node);
    return WipedBuffer::adopt(std::move(out));
}

std::optional<KeyServer> KeyServer::restore(std::span<const std::uint8_t> state,
                                            std::vector<std::uint8_t> group_id) {
    wire::ByteReader reader(state);
    const auto format = reader.u8();
    const auto degree = reader.u8();
    const auto height = reader.u8();
    const auto tree_id = reader.u64();
    const auto message_id = reader.u64();
    const auto root_version = reader.u64();
    const auto tek_epoch = reader.u64();
    const auto tek_spi = reader.u32();
    const auto removal_pending = reader.u8();
    const auto max_keys = reader.u16();
    const auto entries = reader.u32();
    if (!format || !degree || !height || !tree_id || !message_id || !root_version || !tek_epoch ||
        !tek_spi || !removal_pending || !max_keys || !entries) {
        return std::nullopt;
    }
    if (*format != kStateFormat || *tree_id == 0 || *removal_pending > 1) return std::nullopt;
    const auto shape = TreeShape::of(*degree, *height);
    // No bigger than the daemon's largest (2^20 receivers at degree 8 need 2^21 leaves).
    if (!shape || shape->leaf_count() > (std::size_t{1} << 21) || group_id.empty() ||
        group_id.size() > 255) {
        return std::nullopt;
    }
    // Each entry is 44 bytes: refuse a count the bytes cannot hold before allocating the tree.
    if (*entries > shape->node_count() || std::size_t{*entries} * 44 > reader.remaining()) {
        return std::nullopt;
    }
    KeyServer server(*shape, std::move(group_id));
    server.tree_id_ = *tree_id;
    server.message_id_ = *message_id;
    server.root_version_ = *root_version;
    server.tek_epoch_ = *tek_epoch;
    server.tek_spi_ = *tek_spi;
    server.removal_pending_ = *removal_pending == 1;
    server.set_max_keys_per_message(*max_keys);
    std::vector<bool> listed(shape->node_count(), false);
    NodeIndex previous = 0;
    for (std::uint32_t e = 0; e < *entries; ++e) {
        const auto node = reader.u32();
        const auto version = reader.u64();
        const auto bytes = reader.bytes(kKekBytes);
        // Strictly increasing nodes: each listed once, and the check below is a single pass.
        if (!node || !version || !bytes || !shape->is_node(*node) || (e > 0 && *node <= previous)) {
            return std::nullopt;
        }
        previous = *node;
        listed[*node] = true;
        server.versions_[*node] = *version;
        if (shape->is_leaf(*node)) {
            std::ranges::copy(*bytes, server.key_of(*node).begin());
            for (NodeIndex up = *node;; up = shape->parent(up)) {
                ++server.occupied_[up];
                if (up == 0) break;
            }
            ++server.receivers_;
        } else {
            std::ranges::copy(*bytes, server.seed_of(*node).begin());
            if (!key_from_seed(server.seed_of(*node), server.key_of(*node))) return std::nullopt;
        }
    }
    // Listed nodes are exactly the occupied ones (an inner node without receivers below, or a
    // receiver's ancestor without its seed, is not a tree this server wrote).
    for (std::size_t node = 0; node < shape->node_count(); ++node) {
        if (listed[node] != (server.occupied_[node] != 0)) return std::nullopt;
    }
    const auto pending = reader.u32();
    if (!pending || *pending > shape->first_leaf() ||
        std::size_t{*pending} * 4 != reader.remaining()) {
        return std::nullopt;
    }
    for (std::uint32_t p = 0; p < *pending; ++p) {
        const auto node = reader.u32();
        if (!node || !shape->is_node(*node) || shape->is_leaf(*node) || server.dirty_[*node]) {
            return std::nullopt;
        }
        server.dirty_[*node] = true;
        server.dirty_list_.push_back(*node);
    }
    server.free_leaves_.clear();
    for (std::size_t id = shape->leaf_count(); id > 0; --id) {
        const NodeIndex leaf = shape->leaf(id - 1);
        if (server.occupied_[leaf] == 0) server.free_leaves_.push_back(leaf);
    }
    return server;
}

}  // namespace mcsec::control::lkh
