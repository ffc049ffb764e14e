#include "mcsec/control/api/operator_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "mcsec/control/api/operator_session.hpp"
#include "mcsec/control/api/socket_file.hpp"

namespace mcsec::control::api {

namespace {

using boost::asio::local::stream_protocol;

constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// Files created while it lives get no group or other permissions. The umask is process-wide;
// the daemon is single-threaded at start-up, and the chmod after bind covers any other case.
class RestrictiveUmask {
  public:
    RestrictiveUmask() noexcept : previous_(::umask(0177)) {}
    ~RestrictiveUmask() { ::umask(previous_); }
    RestrictiveUmask(const RestrictiveUmask&) = delete;
    RestrictiveUmask& operator=(const RestrictiveUmask&) = delete;

  private:
    mode_t previous_;
};

}  // namespace

OperatorServer::OperatorServer(boost::asio::io_context& io, OperatorBackend& backend,
                               OperatorServerOptions options)
    : backend_(backend), options_(std::move(options)), acceptor_(io), retry_timer_(io) {}

OperatorServer::~OperatorServer() {
    stop();
}

bool OperatorServer::start(std::string& error) {
    const auto& path = options_.socket_path;
    if (listening_) return true;
    if (!socket_path_fits(path)) {
        error = "operator socket '" + path.string() + "': path empty or too long";
        return false;
    }
    if (!prepare_socket_directory(path.parent_path(), error)) return false;
    const auto state = probe_socket_file(path, error);
    if (!state) return false;
    if (*state == SocketFileState::Live) {
        error = path.string() + ": another server answers on this socket (is mcsec-controld " +
                "already running for this instance?)";
        return false;
    }
    if (*state == SocketFileState::Stale && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
        error = path.string() + ": cannot remove stale socket: " + std::strerror(errno);
        return false;
    }
    return listen(error);
}

bool OperatorServer::listen(std::string& error) {
    const auto& path = options_.socket_path;
    boost::system::error_code ec;
    acceptor_.open(stream_protocol(), ec);
    if (!ec) {
        const RestrictiveUmask umask_guard;
        acceptor_.bind(stream_protocol::endpoint(path.string()), ec);
    }
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error = path.string() + ": " + ec.message();
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        return false;
    }
    struct stat st {};
    if (::chmod(path.c_str(), 0600) != 0 || ::stat(path.c_str(), &st) != 0) {
        error = path.string() + ": " + std::strerror(errno);
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        ::unlink(path.c_str());
        return false;
    }
    socket_device_ = st.st_dev;
    socket_inode_ = st.st_ino;
    listening_ = true;
    alive_ = std::make_shared<OperatorServer*>(this);
    accept_next();
    return true;
}

void OperatorServer::stop() {
    if (!listening_) return;
    listening_ = false;
    alive_.reset();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    for (auto& weak : sessions_) {
        if (auto session = weak.lock()) session->close();
    }
    sessions_.clear();
    // Remove the file only if it is still ours: a successor may already have replaced it.
    struct stat st {};
    if (::stat(options_.socket_path.c_str(), &st) == 0 && st.st_dev == socket_device_ &&
        st.st_ino == socket_inode_) {
        ::unlink(options_.socket_path.c_str());
    }
}

std::size_t OperatorServer::connection_count() {
    prune_closed_sessions();
    return sessions_.size();
}

void OperatorServer::accept_next() {
    acceptor_.async_accept(
        [alive = std::weak_ptr<OperatorServer*>(alive_)](const boost::system::error_code& error,
                                                         stream_protocol::socket socket) {
            const auto server = alive.lock();
            if (!server || error == boost::asio::error::operation_aborted) return;
            OperatorServer& self = **server;
            if (!error) {
                self.on_accept(std::move(socket));
                self.accept_next();
                return;
            }
            // EMFILE and friends: the pending connection stays queued, so retrying at once would
            // spin on the same error.
            self.retry_timer_.expires_after(kAcceptRetryDelay);
            self.retry_timer_.async_wait([alive](const boost::system::error_code& timer_error) {
                const auto again = alive.lock();
                if (again && !timer_error) (*again)->accept_next();
            });
        });
}

void OperatorServer::on_accept(stream_protocol::socket socket) {
    prune_closed_sessions();
    auto session = std::make_shared<OperatorSession>(
        std::move(socket), backend_, options_.max_request_bytes, options_.idle_timeout);
    if (sessions_.size() >= options_.max_connections) {
        session->reject(ErrorCode::Busy, "too many operator connections (" +
                                             std::to_string(options_.max_connections) +
                                             "); try again");
        return;
    }
    sessions_.push_back(session);
    session->start();
}

void OperatorServer::prune_closed_sessions() {
    std::erase_if(sessions_, [](const std::weak_ptr<OperatorSession>& weak) {
        const auto session = weak.lock();
        return !session || !session->is_open();
    });
}

}  // namespace mcsec::control::api
