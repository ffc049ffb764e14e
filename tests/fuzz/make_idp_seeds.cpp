// Writes the IDP fuzz seed corpora: valid hellos and prefix messages of every shape.
//   make_idp_seeds tests/fuzz/corpus/idp_hello tests/fuzz/corpus/idp_prefix
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../unit/idp_test_authenticator.hpp"
#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/prefix_messages.hpp"

namespace idp = mcsec::control::idp;
using mcsec::config::IpAddress;
using mcsec::config::Prefix;

namespace {

void write(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> hello(const std::string& node, std::size_t credential_bytes,
                                const char* address, std::uint64_t sequence) {
    const idp::test::TestAuthenticator signer(node, credential_bytes);
    const idp::Hello message{node,
                             *IpAddress::parse(address),
                             1'700'000'000'000ULL,
                             sequence,
                             {"239.1.1.1", "239.1.1.2", "ff3e::8000:1"},
                             {signer.credential().begin(), signer.credential().end()}};
    return idp::encode_hello(message, signer);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s HELLO_DIR PREFIX_DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path hellos = argv[1];
    const std::filesystem::path prefixes = argv[2];
    write(hellos / "psk_ipv4", hello("bravo", 0, "192.0.2.1", 1));
    write(hellos / "cert_ipv4", hello("site-A_01", 600, "198.51.100.20", 77));
    write(hellos / "psk_ipv6", hello("c", 0, "2001:db8::1", 0xFFFFFFFF));
    write(hellos / "long_id_ipv6", hello(std::string(32, 'z'), 32, "2001:db8:ffff::abcd", 2));

    write(prefixes / "announcement_mixed",
          idp::encode_prefix_announcement(
              {"bravo",
               10,
               3,
               {*Prefix::parse("10.1.0.0/16"), *Prefix::parse("2001:db8:1::/48"),
                *Prefix::parse("0.0.0.0/0"), *Prefix::parse("192.0.2.9/32")}}));
    write(prefixes / "announcement_empty", idp::encode_prefix_announcement({"a", 1, 1, {}}));
    write(prefixes / "ack", idp::encode_prefix_ack({"charlie", 10, 3}));
    return 0;
}
