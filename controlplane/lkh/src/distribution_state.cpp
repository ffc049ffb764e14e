// A designated sender's KeyDistribution as bytes and back, so the group's next TM continues the
// same tree without any receiver registering again (docs/protocol/lkh.md, "Key-server
// redundancy"). Between senders only, over their TLS channel: the bytes hold every tree key.
//
//   u32 length | KeyServer::export_state() | u32 receivers, each: node id (u8 length + chars)
//   | u32 leaf | u32 batch window left in ms (0xffffffff: none open) | u16 ids, each u64 (the
//   messages the next State covers, oldest first)
#include <algorithm>
#include <set>

#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/wire/byte_io.hpp"
#include "mcsec/control/wire/fields.hpp"

namespace mcsec::control::lkh {

namespace {

constexpr std::uint32_t kNoWindow = 0xffffffff;
// A successor numbers at least this far above the last id it was told of: the old TM may have
// sent messages it did not live to replicate (about a second of the microsecond clock).
constexpr std::uint64_t kTakeoverIdGap = 1u << 20;

}  // namespace

WipedBuffer KeyDistribution::export_state(TimePoint now) const {
    const WipedBuffer tree = server_.export_state();
    std::vector<std::uint8_t> out;
    out.reserve(tree.size() + receivers_.size() * 24 + 64);
    wire::ByteWriter writer(out);
    writer.u32(static_cast<std::uint32_t>(tree.size()));
    writer.bytes(tree.view());
    writer.u32(static_cast<std::uint32_t>(receivers_.size()));
    for (const auto& [node, leaf] : receivers_) {
        wire::write_node_id(writer, node);
        writer.u32(leaf);
    }
    std::uint32_t window = kNoWindow;
    if (window_ends_) {
        const auto left = std::chrono::duration_cast<Duration>(*window_ends_ - now).count();
        window = static_cast<std::uint32_t>(std::clamp<long long>(left, 0, kNoWindow - 1));
    }
    writer.u32(window);
    writer.u16(static_cast<std::uint16_t>(recent_ids_.size()));
    for (const std::uint64_t id : recent_ids_) writer.u64(id);
    return WipedBuffer::adopt(std::move(out));
}

std::optional<KeyDistribution> KeyDistribution::restore(DistributionParams params,
                                                        const MessageAuthenticator& signer,
                                                        std::span<const std::uint8_t> state,
                                                        TimePoint now) {
    wire::ByteReader reader(state);
    const auto tree_length = reader.u32();
    if (!tree_length) return std::nullopt;
    const auto tree = reader.bytes(*tree_length);
    if (!tree) return std::nullopt;
    auto server = KeyServer::restore(*tree, params.group_id);
    const auto shape = TreeShape::for_receivers(params.degree, params.max_receivers);
    if (!server || !shape || server->shape().degree() != shape->degree() ||
        server->shape().height() != shape->height()) {
        return std::nullopt;
    }
    const auto count = reader.u32();
    if (!count || *count != server->receivers()) return std::nullopt;
    std::map<NodeId, NodeIndex> receivers;
    std::set<NodeIndex> leaves;
    for (std::uint32_t i = 0; i < *count; ++i) {
        NodeId node;
        if (wire::read_node_id(reader, node) != wire::FieldError::Ok) return std::nullopt;
        const auto leaf = reader.u32();
        if (!leaf || !server->is_occupied(*leaf) || !leaves.insert(*leaf).second ||
            !receivers.emplace(std::move(node), *leaf).second) {
            return std::nullopt;
        }
    }
    const auto window = reader.u32();
    const auto ids = reader.u16();
    if (!window || !ids || std::size_t{*ids} * 8 != reader.remaining()) return std::nullopt;
    std::vector<std::uint64_t> recent;
    for (std::uint16_t i = 0; i < *ids; ++i) recent.push_back(*reader.u64());

    server->raise_message_ids(server->last_message_id() + kTakeoverIdGap);
    auto out = create(std::move(params), signer);
    if (!out) return std::nullopt;
    out->server_ = std::move(*server);
    out->server_.set_max_keys_per_message(out->params_.max_keys_per_message);
    out->receivers_ = std::move(receivers);
    out->recent_ids_ = std::move(recent);
    out->tek_epoch_ = out->server_.tek_epoch();
    if (*window != kNoWindow) out->window_ends_ = now + Duration(*window);
    out->raise_message_ids();
    return out;
}

}  // namespace mcsec::control::lkh
