#include <limits>
#include <stdexcept>

#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/wire_fields.hpp"
#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::idp {

namespace {

// Sorted and unique, so two hellos of one run announce the same list in the same bytes, and a
// receiver compares lists without sorting.
ParseError read_groups(ByteReader& body, std::vector<std::string>& groups) {
    const auto count = body.u8();
    if (!count) return ParseError::Truncated;
    if (*count > kMaxHelloGroups) return ParseError::BadGroupList;
    groups.clear();
    for (std::size_t i = 0; i < *count; ++i) {
        const auto length = body.u8();
        if (!length) return ParseError::Truncated;
        if (*length == 0 || *length > kMaxGroupNameBytes) return ParseError::BadGroupList;
        const auto name = body.bytes(*length);
        if (!name) return ParseError::Truncated;
        std::string group(name->begin(), name->end());
        if (!groups.empty() && group <= groups.back()) return ParseError::BadGroupList;
        groups.push_back(std::move(group));
    }
    return ParseError::Ok;
}

}  // namespace

std::vector<std::uint8_t> encode_hello_unsigned(const Hello& hello, std::size_t signature_bytes) {
    std::vector<std::uint8_t> out;
    ByteWriter writer(out);
    begin_message(writer, MessageType::Hello);
    wire::write_node_id(writer, hello.node_id);
    wire::write_address(writer, hello.black_address);
    writer.u64(hello.startup_timestamp);
    writer.u64(hello.sequence);
    if (hello.groups.size() > kMaxHelloGroups) {
        throw std::length_error("IDP hello: more than 64 served groups");
    }
    writer.u8(static_cast<std::uint8_t>(hello.groups.size()));
    for (std::size_t i = 0; i < hello.groups.size(); ++i) {
        const std::string& group = hello.groups[i];
        if (i > 0 && group <= hello.groups[i - 1]) {
            throw std::invalid_argument("IDP hello: served groups must be sorted and unique");
        }
        if (group.empty() || group.size() > kMaxGroupNameBytes) {
            throw std::length_error("IDP hello: served group name of 0 or over 64 bytes");
        }
        writer.u8(static_cast<std::uint8_t>(group.size()));
        writer.bytes(std::span(reinterpret_cast<const std::uint8_t*>(group.data()), group.size()));
    }
    wire::write_credential(writer, hello.credential, "IDP hello");
    finish_header(writer, 0, wire::trailer_bytes(signature_bytes));
    return out;
}

std::vector<std::uint8_t> encode_hello(const Hello& hello, const MessageAuthenticator& signer) {
    auto out = encode_hello_unsigned(hello, signer.max_signature_size());
    wire::append_signature(out, signer, kFrameFormat, "IDP hello");
    return out;
}

ParseError parse_hello(std::span<const std::uint8_t> datagram, ParsedHello& parsed) {
    if (datagram.size() > kMaxMessageBytes) return ParseError::Oversized;
    // The type before the trailer: a prefix message here is WrongType, not a missing signature.
    MessageHeader header;
    if (const auto error = peek_header(datagram, header); error != ParseError::Ok) return error;
    if (header.type != MessageType::Hello) return ParseError::WrongType;
    wire::SignedFrame frame;
    if (const auto error = wire::open_signed_frame(datagram, kFrameFormat, frame);
        error != wire::FrameError::Ok) {
        return from_wire(error);
    }

    // The body ends where the header says; reading past it is truncation, stopping short of it
    // leaves trailing bytes.
    ByteReader body(frame.body);
    Hello& hello = parsed.hello;
    if (const auto error = idp::read_node_id(body, hello.node_id); error != ParseError::Ok) {
        return error;
    }
    if (const auto error = idp::read_address(body, hello.black_address); error != ParseError::Ok) {
        return error;
    }
    if (hello.black_address.is_unspecified() || hello.black_address.is_multicast()) {
        return ParseError::BadAddress;
    }
    const auto startup_timestamp = body.u64();
    const auto sequence = body.u64();
    if (!startup_timestamp || !sequence) return ParseError::Truncated;
    if (const auto error = read_groups(body, hello.groups); error != ParseError::Ok) return error;
    if (const auto error = wire::read_credential(body, hello.credential);
        error != wire::FrameError::Ok) {
        return from_wire(error);
    }
    if (body.remaining() != 0) return ParseError::TrailingBytes;
    hello.startup_timestamp = *startup_timestamp;
    hello.sequence = *sequence;
    parsed.signed_bytes = frame.signed_bytes;
    parsed.signature = frame.signature;
    return ParseError::Ok;
}

}  // namespace mcsec::control::idp
