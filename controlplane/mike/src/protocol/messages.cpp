// Encoding and bounds-checked parsing of the MIKE protocol messages (docs/protocol/mike.md).
#include "mcsec/control/mike/protocol/messages.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "mcsec/control/mike/tree_codec.hpp"
#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::mike {

namespace {

using wire::ByteReader;
using wire::ByteWriter;

constexpr std::size_t kMaxPathKeys = KeyTree::kMaxDepth + 1;
constexpr std::uint8_t kFlagSenderLeaves = 0x01;
constexpr std::uint8_t kFlagHasTree = 0x02;

// The shared frame (wire/frame.hpp) with MIKE's magic, version, types and datagram limit.
constexpr wire::FrameFormat kFrameFormat{kMessageMagic0,
                                         kMessageMagic1,
                                         kMessageVersion,
                                         static_cast<std::uint8_t>(MessageType::TreeState),
                                         static_cast<std::uint8_t>(MessageType::Handover),
                                         kMaxDatagramBytes};

MessageParseError from_wire(wire::FrameError error) noexcept {
    return wire::to_parse_error(error, MessageParseError::UnknownType);
}

// A node id; an empty one (length 0) only where `optional` allows it.
MessageParseError read_id(ByteReader& reader, NodeId& id, bool optional) {
    switch (wire::read_node_id(reader, id, optional)) {
        case wire::FieldError::Ok:
            return MessageParseError::Ok;
        case wire::FieldError::Truncated:
            return MessageParseError::Truncated;
        default:
            return MessageParseError::BadNodeId;
    }
}

void write_tree(ByteWriter& writer, const KeyTree& tree) {
    const std::vector<std::uint8_t> encoding = serialize_tree(tree);
    if (encoding.size() > kMaxDatagramBytes) throw std::length_error("MIKE tree too large");
    writer.u16(static_cast<std::uint16_t>(encoding.size()));
    writer.bytes(encoding);
}

MessageParseError read_tree(ByteReader& reader, std::uint64_t epoch, KeyTree& tree) {
    const auto length = reader.u16();
    if (!length) return MessageParseError::Truncated;
    const auto encoding = reader.bytes(*length);
    if (!encoding) return MessageParseError::Truncated;
    if (parse_tree(*encoding, tree) != TreeParseError::Ok) return MessageParseError::BadTree;
    if (tree.member_count() > kMaxGroupMembers) return MessageParseError::TooManyMembers;
    if (tree.epoch() != epoch) return MessageParseError::EpochMismatch;
    return MessageParseError::Ok;
}

// A complete tree names no sponsor; an incomplete one names a member of it.
MessageParseError check_sponsor(const KeyTree& tree, const NodeId& sponsor) {
    if (tree.complete())
        return sponsor.empty() ? MessageParseError::Ok : MessageParseError::BadSponsor;
    if (sponsor.empty() || !tree.find_leaf(sponsor)) return MessageParseError::BadSponsor;
    return MessageParseError::Ok;
}

void write_body(ByteWriter& writer, const MessageBody& body) {
    std::visit(
        [&writer](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, TreeStateBody>) {
                wire::write_node_id(writer, b.sponsor, true);
                write_tree(writer, b.tree);
            } else if constexpr (std::is_same_v<T, PathUpdateBody>) {
                writer.u8(static_cast<std::uint8_t>(b.path_keys.size()));
                for (const X25519PublicKey& key : b.path_keys) writer.bytes(key);
            } else if constexpr (std::is_same_v<T, JoinRequestBody>) {
                writer.bytes(b.leaf_key);
            } else if constexpr (std::is_same_v<T, AckBody>) {
                writer.bytes(b.tree_hash);
            } else {
                static_assert(std::is_same_v<T, HandoverBody>);
                writer.u8(static_cast<std::uint8_t>((b.sender_leaves ? kFlagSenderLeaves : 0) |
                                                    (b.has_tree ? kFlagHasTree : 0)));
                wire::write_node_id(writer, b.successor, true);
                wire::write_node_id(writer, b.has_tree ? b.sponsor : NodeId{}, true);
                if (b.has_tree) write_tree(writer, b.tree);
            }
        },
        body);
}

MessageType type_of(const MessageBody& body) {
    constexpr MessageType kTypes[] = {MessageType::TreeState, MessageType::PathUpdate,
                                      MessageType::JoinRequest, MessageType::Ack,
                                      MessageType::Handover};
    return kTypes[body.index()];
}

template <std::size_t N>
MessageParseError read_array(ByteReader& reader, std::array<std::uint8_t, N>& out) {
    const auto bytes = reader.bytes(N);
    if (!bytes) return MessageParseError::Truncated;
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return MessageParseError::Ok;
}

MessageParseError read_body(ByteReader& reader, const MessageHeader& header, MessageBody& body) {
    switch (header.type) {
        case MessageType::TreeState: {
            TreeStateBody b;
            if (const auto e = read_id(reader, b.sponsor, true); e != MessageParseError::Ok)
                return e;
            if (const auto e = read_tree(reader, header.epoch, b.tree);
                e != MessageParseError::Ok) {
                return e;
            }
            if (const auto e = check_sponsor(b.tree, b.sponsor); e != MessageParseError::Ok)
                return e;
            body = std::move(b);
            return MessageParseError::Ok;
        }
        case MessageType::PathUpdate: {
            PathUpdateBody b;
            const auto count = reader.u8();
            if (!count) return MessageParseError::Truncated;
            if (*count == 0 || *count > kMaxPathKeys) return MessageParseError::BadKeyCount;
            b.path_keys.resize(*count);
            for (X25519PublicKey& key : b.path_keys) {
                if (const auto e = read_array(reader, key); e != MessageParseError::Ok) return e;
            }
            body = std::move(b);
            return MessageParseError::Ok;
        }
        case MessageType::JoinRequest: {
            JoinRequestBody b;
            if (const auto e = read_array(reader, b.leaf_key); e != MessageParseError::Ok) return e;
            body = b;
            return MessageParseError::Ok;
        }
        case MessageType::Ack: {
            AckBody b;
            if (const auto e = read_array(reader, b.tree_hash); e != MessageParseError::Ok)
                return e;
            body = b;
            return MessageParseError::Ok;
        }
        case MessageType::Handover: {
            HandoverBody b;
            const auto flags = reader.u8();
            if (!flags) return MessageParseError::Truncated;
            if ((*flags & ~(kFlagSenderLeaves | kFlagHasTree)) != 0)
                return MessageParseError::BadFlags;
            b.sender_leaves = (*flags & kFlagSenderLeaves) != 0;
            b.has_tree = (*flags & kFlagHasTree) != 0;
            if (const auto e = read_id(reader, b.successor, true); e != MessageParseError::Ok) {
                return e;
            }
            if (const auto e = read_id(reader, b.sponsor, true); e != MessageParseError::Ok)
                return e;
            if (b.has_tree) {
                if (const auto e = read_tree(reader, header.epoch, b.tree);
                    e != MessageParseError::Ok) {
                    return e;
                }
                if (const auto e = check_sponsor(b.tree, b.sponsor); e != MessageParseError::Ok) {
                    return e;
                }
            } else if (!b.sponsor.empty()) {
                return MessageParseError::BadSponsor;
            }
            body = std::move(b);
            return MessageParseError::Ok;
        }
    }
    return MessageParseError::UnknownType;
}

}  // namespace

std::string_view to_string(MessageType type) noexcept {
    switch (type) {
        case MessageType::TreeState:
            return "TREE_STATE";
        case MessageType::PathUpdate:
            return "PATH_UPDATE";
        case MessageType::JoinRequest:
            return "JOIN_REQUEST";
        case MessageType::Ack:
            return "ACK";
        case MessageType::Handover:
            return "HANDOVER";
    }
    return "unknown";
}

bool only_for_tm(std::span<const std::uint8_t> datagram) noexcept {
    return datagram.size() >= kMessageHeaderBytes && datagram[0] == kMessageMagic0 &&
           datagram[1] == kMessageMagic1 &&
           datagram[3] == static_cast<std::uint8_t>(MessageType::Ack);
}

std::string_view to_string(MessageParseError error) noexcept {
    switch (error) {
#define MCSEC_MIKE_CASE(name, text) \
    case MessageParseError::name:   \
        return text;
        MCSEC_MIKE_MESSAGE_PARSE_ERRORS(MCSEC_MIKE_CASE)
#undef MCSEC_MIKE_CASE
    }
    return "unknown";
}

std::vector<std::uint8_t> encode_message_unsigned(const Message& message,
                                                  std::size_t signature_bytes) {
    const MessageHeader& h = message.header;
    if (h.group_id.empty() || h.group_id.size() > kMaxGroupIdBytes) {
        throw std::invalid_argument("MIKE message: group id must be 1..255 bytes");
    }
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    const std::size_t start =
        wire::begin_frame(writer, kFrameFormat, static_cast<std::uint8_t>(type_of(message.body)));
    writer.u8(static_cast<std::uint8_t>(h.group_id.size()));
    writer.bytes(h.group_id);
    wire::write_node_id(writer, h.sender);
    writer.u64(h.session);
    writer.u64(h.number);
    writer.u64(h.epoch);
    write_body(writer, message.body);
    wire::write_credential(writer, message.credential, "MIKE message");
    wire::finish_frame(writer, start, kFrameFormat, wire::trailer_bytes(signature_bytes),
                       "MIKE message");
    return out;
}

std::vector<std::uint8_t> encode_message(const Message& message,
                                         const MessageAuthenticator& signer) {
    std::vector<std::uint8_t> out = encode_message_unsigned(message, signer.max_signature_size());
    wire::append_signature(out, signer, kFrameFormat, "MIKE message");
    return out;
}

MessageParseError parse_message(std::span<const std::uint8_t> datagram, ParsedMessage& parsed) {
    wire::SignedFrame frame;
    if (const auto error = wire::open_signed_frame(datagram, kFrameFormat, frame);
        error != wire::FrameError::Ok) {
        return from_wire(error);
    }
    Message& message = parsed.message;
    MessageHeader& h = message.header;
    h.type = static_cast<MessageType>(frame.header.type);
    ByteReader reader(frame.body);

    const auto group_length = reader.u8();
    if (!group_length) return MessageParseError::Truncated;
    if (*group_length == 0) return MessageParseError::BadGroupId;
    const auto group = reader.bytes(*group_length);
    if (!group) return MessageParseError::Truncated;
    h.group_id.assign(group->begin(), group->end());
    if (const auto e = read_id(reader, h.sender, false); e != MessageParseError::Ok) return e;
    const auto session = reader.u64();
    const auto number = reader.u64();
    const auto epoch = reader.u64();
    if (!epoch) return MessageParseError::Truncated;  // failure is sticky: one check covers all
    h.session = *session;
    h.number = *number;
    h.epoch = *epoch;
    if (h.number == 0) return MessageParseError::ZeroNumber;
    if (const auto e = read_body(reader, h, message.body); e != MessageParseError::Ok) return e;
    if (const auto e = wire::read_credential(reader, message.credential);
        e != wire::FrameError::Ok) {
        return from_wire(e);
    }
    if (reader.remaining() != 0) return MessageParseError::TrailingBytes;
    parsed.signed_bytes = frame.signed_bytes;
    parsed.signature = frame.signature;
    return MessageParseError::Ok;
}

}  // namespace mcsec::control::mike
