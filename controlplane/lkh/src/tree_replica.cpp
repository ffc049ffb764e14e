// LS frames: a key tree replicated in chunks between a group's senders, and revocation lists.
#include "mcsec/control/lkh/tree_replica.hpp"

#include <algorithm>
#include <stdexcept>

#include "group_id_field.hpp"
#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::lkh {

namespace {

enum class Type : std::uint8_t { Chunk = 1, Revoked = 2 };

constexpr const wire::FrameFormat& kFormat = kReplicaFrameFormat;
static_assert(kReplicaFrameFormat.first_type == static_cast<std::uint8_t>(Type::Chunk) &&
              kReplicaFrameFormat.last_type == static_cast<std::uint8_t>(Type::Revoked));

void write_ids(wire::ByteWriter& writer, const std::vector<NodeId>& ids) {
    if (ids.size() > 0xffff) throw std::length_error("LKH replica: too many revocations");
    writer.u16(static_cast<std::uint16_t>(ids.size()));
    for (const NodeId& id : ids) wire::write_node_id(writer, id);
}

bool read_ids(wire::ByteReader& reader, std::vector<NodeId>& ids) {
    const auto count = reader.u16();
    if (!count) return false;
    ids.clear();
    for (std::uint16_t i = 0; i < *count; ++i) {
        NodeId id;
        if (wire::read_node_id(reader, id) != wire::FieldError::Ok) return false;
        ids.push_back(std::move(id));
    }
    return true;
}

// The frame's body, when `frame` is exactly one well-formed LS frame of `type`.
std::optional<std::span<const std::uint8_t>> body_of(std::span<const std::uint8_t> frame,
                                                     Type type) {
    wire::FrameHeader header;
    if (wire::peek_header(frame, kFormat, header) != wire::FrameError::Ok ||
        header.length != frame.size() || header.type != static_cast<std::uint8_t>(type)) {
        return std::nullopt;
    }
    return frame.subspan(wire::kHeaderBytes);
}

}  // namespace

std::string_view to_string(ReplicaAssembler::Result result) noexcept {
    switch (result) {
        case ReplicaAssembler::Result::Incomplete:
            return "incomplete";
        case ReplicaAssembler::Result::Complete:
            return "complete";
        case ReplicaAssembler::Result::Malformed:
            return "malformed";
        case ReplicaAssembler::Result::Stale:
            return "stale";
    }
    return "?";
}

bool is_replica_frame(std::span<const std::uint8_t> frame) noexcept {
    return frame.size() >= 2 && frame[0] == kReplicaMagic0 && frame[1] == kReplicaMagic1;
}

std::vector<std::vector<std::uint8_t>> encode_replica(const TreeReplica& replica) {
    std::vector<std::uint8_t> payload;
    wire::ByteWriter writer(payload);
    write_ids(writer, replica.revoked);
    writer.u32(static_cast<std::uint32_t>(replica.state.size()));
    writer.bytes(replica.state.view());
    const WipedBuffer secret = WipedBuffer::adopt(std::move(payload));
    const std::size_t chunks = (secret.size() + kChunkBytes - 1) / kChunkBytes;
    if (chunks > kMaxReplicaChunks) throw std::length_error("LKH replica: too large");
    std::vector<std::vector<std::uint8_t>> frames;
    for (std::size_t c = 0; c < chunks; ++c) {
        std::vector<std::uint8_t> frame;
        wire::ByteWriter out(frame);
        const std::size_t start =
            wire::begin_frame(out, kFormat, static_cast<std::uint8_t>(Type::Chunk));
        write_group_id(out, replica.group_id);
        wire::write_node_id(out, replica.server);
        out.u64(replica.serial);
        out.u16(static_cast<std::uint16_t>(c));
        out.u16(static_cast<std::uint16_t>(chunks));
        const std::size_t at = c * kChunkBytes;
        out.bytes(secret.view().subspan(at, std::min(kChunkBytes, secret.size() - at)));
        wire::finish_frame(out, start, kFormat, 0, "LKH replica chunk");
        frames.push_back(std::move(frame));
    }
    return frames;
}

std::vector<std::uint8_t> encode_revoked(const RevokedList& list) {
    std::vector<std::uint8_t> frame;
    wire::ByteWriter writer(frame);
    const std::size_t start =
        wire::begin_frame(writer, kFormat, static_cast<std::uint8_t>(Type::Revoked));
    write_group_id(writer, list.group_id);
    wire::write_node_id(writer, list.sender);
    write_ids(writer, list.revoked);
    wire::finish_frame(writer, start, kFormat, 0, "LKH revocation list");
    return frame;
}

bool parse_revoked(std::span<const std::uint8_t> frame, RevokedList& out) {
    const auto body = body_of(frame, Type::Revoked);
    if (!body) return false;
    wire::ByteReader reader(*body);
    return read_group_id(reader, out.group_id) &&
           wire::read_node_id(reader, out.sender) == wire::FieldError::Ok &&
           read_ids(reader, out.revoked) && reader.remaining() == 0;
}

ReplicaAssembler::Result ReplicaAssembler::add(std::span<const std::uint8_t> frame,
                                               TreeReplica& out) {
    const auto body = body_of(frame, Type::Chunk);
    if (!body) return Result::Malformed;
    wire::ByteReader reader(*body);
    std::vector<std::uint8_t> group;
    NodeId server;
    if (!read_group_id(reader, group) ||
        wire::read_node_id(reader, server) != wire::FieldError::Ok) {
        return Result::Malformed;
    }
    const auto serial = reader.u64();
    const auto chunk = reader.u16();
    const auto chunks = reader.u16();
    if (!serial || !chunk || !chunks || *chunks == 0 || *chunks > kMaxReplicaChunks ||
        *chunk >= *chunks || reader.remaining() == 0 || reader.remaining() > kChunkBytes) {
        return Result::Malformed;
    }
    const auto key = std::make_pair(group, server);
    if (const auto done = complete_.find(key); done != complete_.end() && *serial <= done->second) {
        return Result::Stale;
    }
    Partial& partial = partial_[key];
    if (*chunk == 0) {
        partial = Partial{*serial, *chunks, 0, 0, {}};
    } else if (partial.serial != *serial || partial.chunks != *chunks || partial.next != *chunk) {
        partial_.erase(key);  // a lost or reordered chunk: wait for the next replica
        return Result::Malformed;
    }
    const auto piece = reader.bytes(reader.remaining());
    WipedBuffer copy(piece->size());
    std::ranges::copy(*piece, copy.writable().begin());
    partial.size += copy.size();
    partial.pieces.push_back(std::move(copy));
    if (++partial.next < partial.chunks) return Result::Incomplete;

    WipedBuffer whole(partial.size);
    std::size_t at = 0;
    for (const WipedBuffer& p : partial.pieces) {
        std::ranges::copy(p.view(), whole.writable().begin() + static_cast<std::ptrdiff_t>(at));
        at += p.size();
    }
    partial_.erase(key);
    wire::ByteReader payload(whole.view());
    TreeReplica replica;
    replica.group_id = key.first;
    replica.server = key.second;
    replica.serial = *serial;
    if (!read_ids(payload, replica.revoked)) return Result::Malformed;
    const auto length = payload.u32();
    if (!length || *length != payload.remaining()) return Result::Malformed;
    replica.state = WipedBuffer(*length);
    std::ranges::copy(*payload.bytes(*length), replica.state.writable().begin());
    complete_[key] = *serial;
    out = std::move(replica);
    return Result::Complete;
}

}  // namespace mcsec::control::lkh
