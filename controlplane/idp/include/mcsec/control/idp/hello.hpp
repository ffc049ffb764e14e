// The signed IDP hello (docs/protocol/idp.md, "HELLO"): who the sender is, where it is on the
// black network, and which run of it is speaking. Encoding signs through the
// MessageAuthenticator; parsing only checks structure and leaves the signature to the caller,
// which knows the peer's replay state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/wire_format.hpp"

namespace mcsec::control::idp {

struct Hello {
    NodeId node_id;
    config::IpAddress black_address;
    // When this run of the sender's IDP started (the daemon's choice of unit; it only has to grow
    // from one run to the next). A greater value than last seen means the peer restarted.
    std::uint64_t startup_timestamp = 0;
    // 1 for the first hello of a run, then +1 per hello.
    std::uint64_t sequence = 0;
    // The protected groups the sender serves (their MIKE group ids: the group address as text),
    // sorted, each once. Keying elects a group's TM only among the nodes announcing the group.
    std::vector<std::string> groups;
    // The sender's credential as MessageAuthenticator::credential() gives it (DER certificate, or
    // empty with a PSK), so receivers check the signature without prior contact.
    std::vector<std::uint8_t> credential;

    friend bool operator==(const Hello&, const Hello&) = default;
};

inline constexpr std::size_t kMaxHelloGroups = 64;
inline constexpr std::size_t kMaxGroupNameBytes = 64;

struct ParsedHello {
    Hello hello;
    // Views into the parsed datagram: what the signature covers (header and body, every byte
    // before the signature trailer) and the signature. Valid only while the datagram's bytes are.
    std::span<const std::uint8_t> signed_bytes;
    std::span<const std::uint8_t> signature;
};

// The bytes a hello's signature covers: the header and the body, up to the credential.
// Throws std::length_error when they cannot leave room for a signature of `signature_bytes`
// within kMaxMessageBytes (a certificate too large for a hello: a configuration error).
std::vector<std::uint8_t> encode_hello_unsigned(const Hello& hello, std::size_t signature_bytes);

// The complete datagram, signed by `signer` (whose node id and credential should match the
// hello's; the receiver checks that they do).
std::vector<std::uint8_t> encode_hello(const Hello& hello, const MessageAuthenticator& signer);

// Structure only; on any error `parsed` is unspecified.
ParseError parse_hello(std::span<const std::uint8_t> datagram, ParsedHello& parsed);

}  // namespace mcsec::control::idp
