// The operator API server of mcsec-controld: a Unix-domain stream socket on the daemon's
// io_context speaking newline-delimited JSON (docs/protocol/operator-api.md). Only the socket's
// owner may connect (mode 0600 in a 0700 directory): the API can start rekeys, so file
// permissions are its access control, as for the shared-memory region.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mcsec/control/api/operator_backend.hpp"

namespace mcsec::control::api {

class OperatorSession;

struct OperatorServerOptions {
    std::filesystem::path socket_path;  // default_socket_path(instance) in the daemon
    // Longest request line, without its '\n'. A longer one is answered "too_large" and the
    // connection closed, so a client cannot make the daemon buffer without bound.
    std::size_t max_request_bytes = 64 * 1024;
    // Connections beyond this are answered "busy" and closed.
    std::size_t max_connections = 32;
    // A connection that sends no complete request for this long is closed, so forgotten
    // clients do not hold descriptors forever.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
};

class OperatorServer {
  public:
    // `backend` must outlive the server; requests are served only while the io_context runs.
    OperatorServer(boost::asio::io_context& io, OperatorBackend& backend,
                   OperatorServerOptions options);
    ~OperatorServer();  // stop()
    OperatorServer(const OperatorServer&) = delete;
    OperatorServer& operator=(const OperatorServer&) = delete;

    // Creates the socket directory (0700) if missing, replaces a stale socket file, binds
    // (mode 0600) and starts accepting. False with `error` when the path is not usable, is not
    // a socket, or another server answers on it (a second controld for the same instance).
    bool start(std::string& error);

    // Closes the listener and every connection, and removes the socket file if it is still the
    // one this server created. Idempotent.
    void stop();

    const std::filesystem::path& socket_path() const noexcept { return options_.socket_path; }
    // Open operator connections (for the daemon's own status output and tests).
    std::size_t connection_count();

  private:
    bool listen(std::string& error);
    void accept_next();
    void on_accept(boost::asio::local::stream_protocol::socket socket);
    void prune_closed_sessions();

    OperatorBackend& backend_;
    OperatorServerOptions options_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    // After a failed accept (e.g. out of descriptors) the next try waits a little instead of
    // spinning on the same error.
    boost::asio::steady_timer retry_timer_;
    // Handlers hold a weak_ptr to it: a completion queued before stop() must not touch a
    // server that has since been destroyed.
    std::shared_ptr<OperatorServer*> alive_;
    std::vector<std::weak_ptr<OperatorSession>> sessions_;
    // Identity of the socket file we bound, so stop() never removes a successor's socket.
    dev_t socket_device_ = 0;
    ino_t socket_inode_ = 0;
    bool listening_ = false;
};

}  // namespace mcsec::control::api
