// mcsec-control-stranger: the "certified stranger" of integration.controld_group_access. It holds
// a valid certificate of the deployment, announces a group it is not allowed in (signed hellos,
// the project's own codecs), and after a while attacks that group with correctly signed
// messages:
//   - a MIKE JOIN_REQUEST claiming epoch 2^64-1 (the epoch freeze of issue 12),
//   - a MIKE JOIN_REQUEST claiming an ordinary epoch (a plain join attempt),
//   - a registration REGISTER to the group's TM,
//   - a registration ALARM SA_EXPIRED to the TM naming the group's SPI (a forced rekey).
//
//   mcsec-control-stranger --ca CA.pem --cert CERT.pem --key KEY.pem --name ID
//       --address A --discovery GROUP:PORT --serve G --hello-ms N --seconds S
//       --attack-after S --tm-address A --tm NODE --spi N
//
// Prints one line per attack message sent; exits 0 when everything was sent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mcsec/control/identity/load_authenticator.hpp"
#include "mcsec/control/idp/hello_sender.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"
#include "mcsec/control/registration/message_signer.hpp"

namespace {

using namespace mcsec;
using namespace mcsec::control;

struct Options {
    std::map<std::string, std::string> values;
    std::string get(const std::string& key) const {
        const auto it = values.find(key);
        return it == values.end() ? std::string{} : it->second;
    }
};

bool send_to(int fd, const std::vector<std::uint8_t>& bytes, const std::string& address,
             std::uint16_t port) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1) return false;
    return ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to),
                    sizeof to) == static_cast<ssize_t>(bytes.size());
}

std::vector<std::uint8_t> join_request(const MessageAuthenticator& auth, const std::string& group,
                                       std::uint64_t session, std::uint64_t number,
                                       std::uint64_t epoch) {
    mike::Message m;
    m.header.group_id.assign(group.begin(), group.end());
    m.header.sender = auth.node_id();
    m.header.session = session;
    m.header.number = number;
    m.header.epoch = epoch;
    mike::JoinRequestBody body;
    for (std::size_t i = 0; i < body.leaf_key.size(); ++i)
        body.leaf_key[i] = static_cast<std::uint8_t>(9 + i);
    m.body = body;
    m.credential.assign(auth.credential().begin(), auth.credential().end());
    return mike::encode_message(m, auth);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) options.values[argv[i]] = argv[i + 1];
    for (const char* key :
         {"--ca", "--cert", "--key", "--name", "--address", "--discovery", "--serve", "--seconds",
          "--attack-after", "--tm-address", "--tm", "--spi"}) {
        if (options.get(key).empty()) {
            std::fprintf(stderr, "mcsec-control-stranger: %s missing (see the source's header)\n",
                         key);
            return 2;
        }
    }
    const auto loaded = identity::load_authenticator(
        {config::X509Identity{options.get("--ca"), options.get("--cert"), options.get("--key")}},
        options.get("--name"), std::chrono::system_clock::now());
    if (!loaded.ok()) {
        std::fprintf(stderr, "mcsec-control-stranger: %s\n", loaded.error.c_str());
        return 1;
    }
    const MessageAuthenticator& auth = *loaded.authenticator;
    const std::string discovery = options.get("--discovery");
    const auto colon = discovery.rfind(':');
    const std::string discovery_group = discovery.substr(0, colon);
    const auto port = static_cast<std::uint16_t>(std::stoul(discovery.substr(colon + 1)));
    const std::string group = options.get("--serve");
    const auto group_address = config::IpAddress::parse(group);
    const auto own_address = config::IpAddress::parse(options.get("--address"));
    if (!group_address || !own_address) {
        std::fprintf(stderr, "mcsec-control-stranger: bad --serve or --address\n");
        return 2;
    }

    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in bind_to{};
    bind_to.sin_family = AF_INET;
    ::inet_pton(AF_INET, options.get("--address").c_str(), &bind_to.sin_addr);
    in_addr interface {};
    ::inet_pton(AF_INET, options.get("--address").c_str(), &interface);
    const int ttl = 1;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&bind_to), sizeof bind_to) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &interface, sizeof interface) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0) {
        std::perror("mcsec-control-stranger: socket");
        return 1;
    }

    const std::uint64_t startup =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    const auto hello_ms =
        options.get("--hello-ms").empty() ? 200 : std::stoi(options.get("--hello-ms"));
    const auto start = idp::Clock::now();
    idp::HelloSender hellos(auth, *own_address, startup, idp::Duration(hello_ms), start, {group});
    const auto end = start + std::chrono::seconds(std::stoi(options.get("--seconds")));
    const auto attack_at = start + std::chrono::seconds(std::stoi(options.get("--attack-after")));
    bool attacked = false;
    bool ok = true;
    for (auto now = start; now < end; now = idp::Clock::now()) {
        if (auto hello = hellos.poll(now)) send_to(fd, *hello, discovery_group, port);
        if (!attacked && now >= attack_at) {
            attacked = true;
            const auto freeze = join_request(auth, group, startup, 1'000'000,
                                             std::numeric_limits<std::uint64_t>::max());
            const auto join = join_request(auth, group, startup, 1'000'001, 1);
            registration::MessageSigner signer(auth, startup);
            registration::RegisterBody register_body;
            register_body.tm = options.get("--tm");
            register_body.lifetime_s = 60;
            const auto registration = signer.sign(*group_address, register_body);
            registration::AlarmBody alarm;
            alarm.kind = registration::AlarmKind::SaExpired;
            alarm.peer = options.get("--tm");
            alarm.spi = static_cast<std::uint32_t>(std::stoul(options.get("--spi"), nullptr, 0));
            alarm.detail = "forced rekey";
            const auto sa_expired = signer.sign(*group_address, alarm);
            const std::string tm_address = options.get("--tm-address");
            for (const auto& [what, bytes, to] :
                 {std::tuple{"mike_join_epoch_max", freeze, discovery_group},
                  std::tuple{"mike_join", join, discovery_group},
                  std::tuple{"register", registration, tm_address},
                  std::tuple{"alarm_sa_expired", sa_expired, tm_address}}) {
                const bool sent = send_to(fd, bytes, to, port);
                ok = ok && sent;
                std::printf("%s %s %zu bytes to %s\n", sent ? "sent" : "failed", what, bytes.size(),
                            to.c_str());
            }
            std::fflush(stdout);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::close(fd);
    return attacked && ok ? 0 : 1;
}
