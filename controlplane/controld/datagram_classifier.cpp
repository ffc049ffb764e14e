#include "datagram_classifier.hpp"

#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/wire_fields.hpp"
#include "mcsec/control/idp/wire_format.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"
#include "mcsec/control/registration/wire_format.hpp"
#include "mcsec/control/wire/byte_io.hpp"
#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"
#include "mcsec/control/wire/node_id.hpp"

namespace mcsec::control {

namespace {

// MIKE (docs/protocol/mike.md): header, u8 group id length, group id, u8 sender length, sender.
// Only the sender is read; parse_message() checks everything else later.
void peek_mike(std::span<const std::uint8_t> datagram, DatagramClaims& claims) {
    if (datagram.size() < mike::kMessageHeaderBytes) return;
    wire::ByteReader reader(datagram.subspan(mike::kMessageHeaderBytes));
    const auto group_length = reader.u8();
    if (!group_length || *group_length == 0 || !reader.bytes(*group_length)) return;
    const auto sender_length = reader.u8();
    if (!sender_length) return;
    const auto sender = reader.bytes(*sender_length);
    if (!sender) return;
    claims.sender.assign(sender->begin(), sender->end());
    claims.parsed = wire::is_valid_node_id(claims.sender);
}

// Registration (docs/protocol/registration.md): header, then the sender's node id.
void peek_registration(std::span<const std::uint8_t> datagram, DatagramClaims& claims) {
    registration::MessageHeader header;
    if (registration::peek_header(datagram, header) != registration::ParseError::Ok ||
        datagram.size() < header.length) {
        return;
    }
    wire::ByteReader reader(datagram.first(header.length).subspan(registration::kHeaderBytes));
    claims.parsed = wire::read_node_id(reader, claims.sender) == wire::FieldError::Ok;
}

// LKH (docs/protocol/lkh.md): header, u8 group id length, group id, then the sender's node id
// (the receiver's in a REGISTER, the designated sender's in REKEY, STATE and WELCOME).
void peek_lkh(std::span<const std::uint8_t> datagram, DatagramClaims& claims) {
    if (datagram.size() < wire::kHeaderBytes) return;
    wire::ByteReader reader(datagram.subspan(wire::kHeaderBytes));
    const auto group_length = reader.u8();
    if (!group_length || *group_length == 0 || !reader.bytes(*group_length)) return;
    claims.parsed = wire::read_node_id(reader, claims.sender) == wire::FieldError::Ok;
}

void peek_idp(std::span<const std::uint8_t> datagram, DatagramClaims& claims) {
    idp::MessageHeader header;
    if (idp::peek_header(datagram, header) != idp::ParseError::Ok) return;
    if (header.type != idp::MessageType::Hello) {
        claims.protocol = DatagramProtocol::IdpOther;
        return;
    }
    claims.protocol = DatagramProtocol::IdpHello;
    // Structure only (bounds-checked reads and a copy of the credential): microseconds.
    idp::ParsedHello parsed;
    if (idp::parse_hello(datagram, parsed) != idp::ParseError::Ok) return;
    claims.parsed = true;
    claims.sender = std::move(parsed.hello.node_id);
    claims.black_address = parsed.hello.black_address;
}

}  // namespace

DatagramClaims classify_datagram(std::span<const std::uint8_t> datagram) {
    DatagramClaims claims;
    if (datagram.size() < 2) return claims;
    if (datagram[0] == idp::kMagic0 && datagram[1] == idp::kMagic1) {
        claims.protocol = DatagramProtocol::IdpOther;
        peek_idp(datagram, claims);
    } else if (datagram[0] == mike::kMessageMagic0 && datagram[1] == mike::kMessageMagic1) {
        claims.protocol = DatagramProtocol::Mike;
        peek_mike(datagram, claims);
    } else if (registration::has_registration_magic(datagram)) {
        claims.protocol = DatagramProtocol::Registration;
        peek_registration(datagram, claims);
    } else if (datagram[0] == 'L' && (datagram[1] == 'K' || datagram[1] == 'R')) {
        claims.protocol =
            datagram[1] == 'K' ? DatagramProtocol::LkhPush : DatagramProtocol::LkhRegistration;
        peek_lkh(datagram, claims);
    }
    return claims;
}

}  // namespace mcsec::control
