// Encoding and parsing of LKH REKEY and STATE messages.
#include "mcsec/control/lkh/push_message.hpp"

#include <algorithm>
#include <stdexcept>

#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::lkh {

namespace {

constexpr wire::FrameFormat kFrameFormat{'L',
                                         'K',
                                         1,
                                         static_cast<std::uint8_t>(PushKind::Rekey),
                                         static_cast<std::uint8_t>(PushKind::State),
                                         kMaxPushBytes};

// The slot byte's top bit: the node's seed is chained from this child's (no wrapped bytes).
constexpr std::uint8_t kChainedFlag = 0x80;

using wire::ByteReader;
using wire::ByteWriter;

}  // namespace

std::string_view to_string(PushParseError error) noexcept {
    switch (error) {
#define MCSEC_LKH_CASE(name, text) \
    case PushParseError::name:     \
        return text;
        MCSEC_LKH_PARSE_ERRORS(MCSEC_LKH_CASE)
#undef MCSEC_LKH_CASE
    }
    return "unknown";
}

std::vector<std::uint8_t> encode_push(const PushContent& push, const MessageAuthenticator& signer) {
    if (push.group_id.empty() || push.group_id.size() > 255) {
        throw std::invalid_argument("LKH push: group id must be 1..255 bytes");
    }
    if (push.keys.size() > 0xFFFF) throw std::length_error("LKH push: too many keys");
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    const std::size_t start =
        wire::begin_frame(writer, kFrameFormat, static_cast<std::uint8_t>(push.kind));
    writer.u8(static_cast<std::uint8_t>(push.group_id.size()));
    writer.bytes(push.group_id);
    wire::write_node_id(writer, signer.node_id());
    writer.u64(push.message_id);
    writer.u64(push.tree_id);
    writer.u8(push.degree);
    writer.u8(push.height);
    writer.u64(push.root_version);
    writer.u16(static_cast<std::uint16_t>(push.keys.size()));
    for (const WrappedKey& key : push.keys) {
        writer.u32(key.node);
        writer.u8(static_cast<std::uint8_t>(key.slot | (key.chained ? kChainedFlag : 0)));
        if (!key.chained) writer.bytes(key.wrapped);
    }
    writer.u8(push.tek ? 1 : 0);
    if (push.tek) {
        writer.u64(push.tek->epoch);
        writer.u32(push.tek->spi);
        writer.u8(static_cast<std::uint8_t>(push.tek->wrapped.size()));
        writer.bytes(push.tek->wrapped);
    }
    wire::finish_signed_frame(out, writer, start, kFrameFormat, signer, "LKH push");
    return out;
}

PushParseError parse_push(std::span<const std::uint8_t> datagram, ParsedPush& parsed) {
    wire::SignedFrame frame;
    if (const auto error = wire::open_signed_frame(datagram, kFrameFormat, frame);
        error != wire::FrameError::Ok) {
        return wire::to_parse_error(error, PushParseError::UnknownType);
    }
    PushContent& push = parsed.content;
    push = PushContent{};
    push.kind = static_cast<PushKind>(frame.header.type);
    ByteReader reader(frame.body);
    const auto group_length = reader.u8();
    if (!group_length) return PushParseError::Truncated;
    if (*group_length == 0) return PushParseError::BadGroupId;
    const auto group = reader.bytes(*group_length);
    if (!group) return PushParseError::Truncated;
    push.group_id.assign(group->begin(), group->end());
    if (const auto e = wire::read_node_id(reader, parsed.sender); e != wire::FieldError::Ok) {
        return e == wire::FieldError::Truncated ? PushParseError::Truncated
                                                : PushParseError::BadNodeId;
    }
    const auto message_id = reader.u64();
    const auto tree_id = reader.u64();
    const auto degree = reader.u8();
    const auto height = reader.u8();
    const auto root_version = reader.u64();
    const auto count = reader.u16();
    if (!count) return PushParseError::Truncated;
    if (*message_id == 0) return PushParseError::ZeroMessageId;
    const auto shape = TreeShape::of(*degree, *height);
    if (!shape) return PushParseError::BadShape;
    push.message_id = *message_id;
    push.tree_id = *tree_id;
    push.degree = *degree;
    push.height = *height;
    push.root_version = *root_version;
    // Each entry is at least 5 bytes: refuse a count the datagram cannot hold before reserving.
    if (std::size_t{*count} * 5 > reader.remaining()) return PushParseError::Truncated;
    push.keys.resize(*count);
    for (WrappedKey& key : push.keys) {
        const auto node = reader.u32();
        const auto slot = reader.u8();
        if (!slot) return PushParseError::Truncated;
        key.chained = (*slot & kChainedFlag) != 0;
        key.slot = static_cast<std::uint8_t>(*slot & ~kChainedFlag);
        if (!shape->is_node(*node) || shape->is_leaf(*node) || key.slot >= shape->degree()) {
            return PushParseError::BadKeyEntry;
        }
        key.node = *node;
        if (!key.chained) {
            const auto wrapped = reader.bytes(kWrappedKekBytes);
            if (!wrapped) return PushParseError::Truncated;
            std::ranges::copy(*wrapped, key.wrapped.begin());
        }
    }
    const auto tek_flag = reader.u8();
    if (!tek_flag) return PushParseError::Truncated;
    if (*tek_flag > 1) return PushParseError::BadTekFlag;
    if (*tek_flag == 1) {
        const auto epoch = reader.u64();
        const auto spi = reader.u32();
        const auto length = reader.u8();
        if (!length) return PushParseError::Truncated;
        if (*length != padded_wrap_size(20) && *length != padded_wrap_size(kMaxTekBytes)) {
            return PushParseError::BadTekLength;
        }
        const auto wrapped = reader.bytes(*length);
        if (!wrapped) return PushParseError::Truncated;
        push.tek = WrappedTek{*epoch, *spi, {wrapped->begin(), wrapped->end()}};
    }
    if (wire::read_credential(reader, parsed.credential) != wire::FrameError::Ok) {
        return PushParseError::Truncated;
    }
    if (reader.remaining() != 0) return PushParseError::TrailingBytes;
    parsed.signed_bytes = frame.signed_bytes;
    parsed.signature = frame.signature;
    return PushParseError::Ok;
}

}  // namespace mcsec::control::lkh
