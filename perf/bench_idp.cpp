// CPU cost of IDP hellos: one node signs a hello (HelloSender::poll) and a peer checks it
// (PeerTable::on_hello: parse, replay check, signature, and for X.509 the certificate, whose
// chain check is cached after the first hello). With PSK (HMAC-SHA256), Ed25519 and ECDSA P-256
// certificates made by tools/mcsec-pki. A node with 50 peers and a 1 s hello interval pays one
// sign per second and 50 verifies per second.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "mcsec/control/identity/load_authenticator.hpp"
#include "mcsec/control/idp/hello_sender.hpp"
#include "mcsec/control/idp/peer_table.hpp"

namespace {

using namespace mcsec;
namespace fs = std::filesystem;

struct Pair {
    std::unique_ptr<control::MessageAuthenticator> sender, receiver;
};

Pair make_pair(const std::string& kind) {
    const fs::path dir = fs::temp_directory_path() / ("mcsec-bench-idp-" + kind);
    fs::remove_all(dir);
    fs::create_directories(dir);
    config::Identity a, b;
    if (kind == "psk") {
        const std::string cmd = std::string(MCSEC_PKI_TOOL) + " psk " + (dir / "psk").string();
        if (std::system(cmd.c_str()) != 0) std::abort();
        a.credentials = config::PskIdentity{dir / "psk"};
        b = a;
    } else {
        const std::string pki = std::string(MCSEC_PKI_TOOL);
        const std::string cmds = pki + " ca " + dir.string() + " --algo " + kind + " && " + pki +
                                 " node " + dir.string() + " alpha && " + pki + " node " +
                                 dir.string() + " beta";
        if (std::system((cmds + " >/dev/null 2>&1").c_str()) != 0) std::abort();
        a.credentials = config::X509Identity{dir / "ca.pem", dir / "alpha.pem", dir / "alpha.key"};
        b.credentials = config::X509Identity{dir / "ca.pem", dir / "beta.pem", dir / "beta.key"};
    }
    const auto now = std::chrono::system_clock::now();
    auto la = control::identity::load_authenticator(a, "alpha", now);
    auto lb = control::identity::load_authenticator(b, "beta", now);
    fs::remove_all(dir);  // everything is loaded
    if (!la.ok() || !lb.ok()) std::abort();
    return {std::move(la.authenticator), std::move(lb.authenticator)};
}

void BM_HelloSignAndVerify(benchmark::State& state, const std::string& kind) {
    Pair pair = make_pair(kind);
    const auto interval = control::idp::Duration(1000);
    auto now = control::idp::Clock::now();
    control::idp::HelloSender sender(*pair.sender, *config::IpAddress::parse("192.0.2.1"), 1,
                                     interval, now);
    control::idp::PeerTable table(*pair.receiver, interval);
    std::vector<control::idp::IdpEvent> events;
    for (auto _ : state) {
        auto hello = sender.poll(now);
        const auto verdict = table.on_hello(*hello, now, std::chrono::system_clock::now(), events);
        if (verdict != control::idp::HelloVerdict::Accepted) state.SkipWithError("rejected");
        events.clear();
        now += interval;
    }
}

BENCHMARK_CAPTURE(BM_HelloSignAndVerify, psk, std::string("psk"));
BENCHMARK_CAPTURE(BM_HelloSignAndVerify, ed25519, std::string("ed25519"));
BENCHMARK_CAPTURE(BM_HelloSignAndVerify, p256, std::string("p256"));

}  // namespace

BENCHMARK_MAIN();
