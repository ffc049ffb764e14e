// mcsec-controld: the control plane of one appliance.
//
//   mcsec-controld --config FILE [--state-dir DIR] [--socket PATH] [--no-dataplane]
//
// --state-dir overrides the config's instance.state_dir (default /var/lib/mcsec).
//
// Discovers peer appliances (IDP) on the black network, agrees group keys with them and
// publishes the SAs to the fast path's shared-memory tables. Stops on SIGINT/SIGTERM. Exit
// status: 0 clean stop, 2 bad config or arguments, 1 any other start-up failure.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "daemon.hpp"
#include "mcsec/config/loader.hpp"
#include "mcsec/control/api/operator_server.hpp"
#include "mcsec/control/api/socket_path.hpp"
#include "mcsec/control/identity/load_authenticator.hpp"
#include "mcsec/crypto/key_memory.hpp"
#include "operator_backend.hpp"

namespace {

int fail(const std::string& message, int status = 1) {
    std::cerr << "mcsec-controld: " << message << "\n";
    return status;
}

constexpr const char* kUsage =
    "usage: mcsec-controld --config FILE [--state-dir DIR] [--no-dataplane]";

}  // namespace

int main(int argc, char** argv) {
    using namespace mcsec;
    // controld derives and holds group keys: never in a core dump, no ptrace by the same user.
    if (std::string error; !crypto::protect_process_keys(error)) {
        std::fprintf(stderr, "mcsec-controld: %s\n", error.c_str());
        return 1;
    }
    std::string config_path;
    control::DaemonOptions options;
    std::string socket_path;
    std::optional<std::filesystem::path> state_dir;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--config" && i + 1 < argc) {
            config_path = argv[++i];
        } else if (a == "--state-dir" && i + 1 < argc) {
            state_dir = argv[++i];
        } else if (a == "--socket" && i + 1 < argc) {
            socket_path = argv[++i];
        } else if (a == "--no-dataplane") {
            options.no_dataplane = true;
        } else if (a == "--help" || a == "-h") {
            std::cout << kUsage << "\n";
            return 0;
        } else {
            return fail("unknown argument '" + a + "' (" + kUsage + ")", 2);
        }
    }
    if (config_path.empty()) return fail(std::string("missing --config FILE (") + kUsage + ")", 2);

    auto loaded = config::load_config_file(config_path);
    if (!loaded.ok()) {
        std::cerr << loaded.errors_to_string();
        return fail("invalid configuration, nothing started", 2);
    }
    const config::ApplianceConfig cfg = std::move(loaded).config();
    if (cfg.keying.mode == config::KeyingMode::Manual) {
        return fail(
            "keying.mode is \"manual\": the dataplane publishes the config's SAs itself "
            "and mcsecctl sa rolls them over; mcsec-controld runs with \"mike\"",
            2);
    }
    auto identity = control::identity::load_authenticator(cfg.identity, cfg.instance.name,
                                                          std::chrono::system_clock::now());
    if (!identity.ok()) return fail("identity: " + identity.error);

    options.state_dir = state_dir.value_or(cfg.instance.state_dir);
    options.tls_credentials = identity.tls_credentials;
    boost::asio::io_context io;
    control::Daemon daemon(io, cfg, *identity.authenticator, options);
    std::string error;
    if (!daemon.start(error)) return fail(error);
    // The operator API (mcsecctl show status|peers|groups|alarms, rekey), mode 0600.
    control::DaemonOperatorBackend backend(daemon);
    control::api::OperatorServerOptions api_options;
    api_options.socket_path = socket_path.empty()
                                  ? control::api::default_socket_path(cfg.instance.name)
                                  : std::filesystem::path(socket_path);
    control::api::OperatorServer api(io, backend, api_options);
    if (!api.start(error)) return fail("operator API: " + error);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io, &daemon, &api](const boost::system::error_code&, int) {
        daemon.stop();  // a TM hands over, a member says goodbye
        api.stop();
        io.stop();
    });
    io.run();
    std::cout << "mcsec-controld: stopped\n";
    return 0;
}
