// mcsec-control-flood: the attacker of the control-plane flood test
// (tests/integration/controld_flood_test.py). Sends forged IDP hellos, MIKE messages and
// replays to the discovery group at a fixed rate, from several source addresses of its own
// namespace, with sendmmsg (Python cannot reach 50,000 datagrams a second on a small box).
//
//   mcsec-control-flood --group ADDR --port N --sources A,B,... --rate PER_S --seconds S
//                       --credential CERT.pem --real-ids ID,ID,... --mike-group TEXT
//
// The datagrams are built with the project's own codecs, so they are well-formed and carry a
// real certificate (the attacker's: a "certified stranger") but random signatures:
//   - hellos claiming a real node id, with the sender's own address (admission: the claimed
//     peer is up elsewhere);
//   - hellos claiming the attacker's node or random unknown ids (admission: signature budget);
//   - MIKE messages claiming real members and the attacker;
//   - the same forged hello again and again (the failed-verification cache).
// Prints what it sent; exits 0 when it sent anything.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"

namespace {

using namespace mcsec;
using namespace mcsec::control;

// Signs with random bytes: what a forger without the key can send.
class ForgingSigner final : public MessageAuthenticator {
  public:
    explicit ForgingSigner(std::vector<std::uint8_t> credential)
        : credential_(std::move(credential)) {}
    const NodeId& node_id() const noexcept override { return id_; }
    std::span<const std::uint8_t> credential() const noexcept override { return credential_; }
    std::size_t max_signature_size() const noexcept override { return 72; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t>) const override {
        std::vector<std::uint8_t> signature(64);
        RAND_bytes(signature.data(), static_cast<int>(signature.size()));
        return signature;
    }
    AuthResult verify(std::string_view, std::span<const std::uint8_t>,
                      std::span<const std::uint8_t>, std::span<const std::uint8_t>,
                      std::chrono::system_clock::time_point) const override {
        return AuthResult::BadSignature;
    }

  private:
    NodeId id_ = "forger";
    std::vector<std::uint8_t> credential_;
};

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string::npos ? text.size() : comma;
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::vector<std::uint8_t> read_certificate_der(const std::string& path) {
    FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) return {};
    X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    if (certificate == nullptr) return {};
    unsigned char* der = nullptr;
    const int length = i2d_X509(certificate, &der);
    std::vector<std::uint8_t> out;
    if (length > 0) out.assign(der, der + length);
    OPENSSL_free(der);
    X509_free(certificate);
    return out;
}

std::uint64_t random_u64() {
    std::uint64_t value = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
    return value;
}

std::vector<std::uint8_t> forged_hello(const ForgingSigner& signer, const NodeId& claimed,
                                       const config::IpAddress& address) {
    idp::Hello hello;
    hello.node_id = claimed;
    hello.black_address = address;
    hello.startup_timestamp = random_u64() >> 1;
    hello.sequence = random_u64() >> 1;
    hello.credential.assign(signer.credential().begin(), signer.credential().end());
    return idp::encode_hello(hello, signer);
}

std::vector<std::uint8_t> forged_mike(const ForgingSigner& signer, const NodeId& claimed,
                                      const std::string& group) {
    mike::Message message;
    message.header.type = mike::MessageType::Ack;
    message.header.group_id.assign(group.begin(), group.end());
    message.header.sender = claimed;
    message.header.session = random_u64() >> 1;
    message.header.number = (random_u64() >> 1) | 1;
    message.header.epoch = 1;
    message.body = mike::AckBody{};
    message.credential.assign(signer.credential().begin(), signer.credential().end());
    return mike::encode_message(message, signer);
}

}  // namespace

int main(int argc, char** argv) {
    std::string group, sources_text, credential_path, real_ids_text, mike_group = "239.1.1.1";
    int port = 7400;
    double rate = 50000, seconds = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--group")
            group = v;
        else if (a == "--port")
            port = std::stoi(v);
        else if (a == "--sources")
            sources_text = v;
        else if (a == "--rate")
            rate = std::stod(v);
        else if (a == "--seconds")
            seconds = std::stod(v);
        else if (a == "--credential")
            credential_path = v;
        else if (a == "--real-ids")
            real_ids_text = v;
        else if (a == "--mike-group")
            mike_group = v;
        else {
            std::fprintf(stderr, "mcsec-control-flood: unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    const auto sources = split(sources_text);
    const auto real_ids = split(real_ids_text);
    const auto credential = read_certificate_der(credential_path);
    if (group.empty() || sources.empty() || real_ids.empty() || credential.empty()) {
        std::fprintf(stderr,
                     "usage: mcsec-control-flood --group ADDR --port N --sources A,B --rate R "
                     "--seconds S --credential CERT.pem --real-ids ID,ID [--mike-group G]\n");
        return 2;
    }
    const ForgingSigner signer(credential);

    // One socket per source address, and a pool of datagrams per source built up front so the
    // send loop only sends.
    struct Source {
        int fd;
        std::vector<std::vector<std::uint8_t>> pool;
        std::vector<bool> fresh;  // gets new signature bytes on every send
    };
    std::vector<Source> out;
    sockaddr_in destination{};
    destination.sin_family = AF_INET;
    destination.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, group.c_str(), &destination.sin_addr);
    const auto replayed = forged_hello(signer, "mallory", *config::IpAddress::parse(sources[0]));
    for (const auto& text : sources) {
        const auto address = config::IpAddress::parse(text);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        if (!address || inet_pton(AF_INET, text.c_str(), &local.sin_addr) != 1) {
            std::fprintf(stderr, "mcsec-control-flood: bad source %s\n", text.c_str());
            return 2;
        }
        const int fd = socket(AF_INET, SOCK_DGRAM, 0);
        const unsigned char ttl = 1;
        in_addr interface_address = local.sin_addr;
        if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &interface_address,
                       sizeof interface_address) != 0) {
            std::perror("mcsec-control-flood: socket");
            return 1;
        }
        Source source{fd, {}, {}};
        for (int k = 0; k < 1024; ++k) {
            switch (k % 8) {
                case 0:
                case 1:  // a real member's id, from here: the claimed peer is up elsewhere
                    source.pool.push_back(
                        forged_hello(signer, real_ids[k % real_ids.size()], *address));
                    break;
                case 2:  // the attacker's own certified id: a full signature verification
                    source.pool.push_back(forged_hello(signer, "mallory", *address));
                    break;
                case 3:  // ids nobody knows
                    source.pool.push_back(forged_hello(
                        signer, "x" + std::to_string(random_u64() % 100000), *address));
                    break;
                case 4:
                    source.pool.push_back(
                        forged_mike(signer, real_ids[k % real_ids.size()], mike_group));
                    break;
                case 5:
                    source.pool.push_back(forged_mike(signer, "mallory", mike_group));
                    break;
                default:  // the same forged bytes over and over
                    source.pool.push_back(replayed);
                    break;
            }
            source.fresh.push_back(k % 8 == 2 || k % 8 == 3);
        }
        out.push_back(std::move(source));
    }

    // Batches of 32 per sendmmsg, paced to the rate.
    constexpr std::size_t kBatch = 32;
    std::uint64_t sent = 0, errors = 0, attempted = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    std::size_t cursor = 0;
    std::vector<mmsghdr> messages(kBatch);
    std::vector<iovec> vectors(kBatch);
    while (std::chrono::steady_clock::now() < end) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (attempted >= static_cast<std::uint64_t>(elapsed * rate)) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            continue;
        }
        Source& source = out[cursor % out.size()];
        for (std::size_t m = 0; m < kBatch; ++m) {
            const std::size_t index = (cursor / out.size() * kBatch + m) % source.pool.size();
            auto& datagram = source.pool[index];
            if (source.fresh[index]) {
                // A signature never seen before: the cache cannot answer it, a verify must.
                const std::uint64_t counter = attempted + m;
                std::memcpy(datagram.data() + datagram.size() - sizeof counter, &counter,
                            sizeof counter);
            }
            vectors[m] = {datagram.data(), datagram.size()};
            messages[m] = {};
            messages[m].msg_hdr.msg_name = &destination;
            messages[m].msg_hdr.msg_namelen = sizeof destination;
            messages[m].msg_hdr.msg_iov = &vectors[m];
            messages[m].msg_hdr.msg_iovlen = 1;
        }
        ++cursor;
        attempted += kBatch;
        const int n = sendmmsg(source.fd, messages.data(), kBatch, 0);
        if (n > 0) sent += static_cast<std::uint64_t>(n);
        errors += n < 0 ? kBatch : kBatch - static_cast<std::size_t>(n);
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("sent %lu datagrams in %.2f s (%.0f/s) from %zu sources, %lu not sent\n",
                static_cast<unsigned long>(sent), took, static_cast<double>(sent) / took,
                out.size(), static_cast<unsigned long>(errors));
    for (auto& source : out) close(source.fd);
    return sent > 0 ? 0 : 1;
}
