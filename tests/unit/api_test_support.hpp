// Shared by the operator API tests: a fake backend with fixed answers, a server running on its
// own thread in a temporary directory, and a raw socket client for byte-level tests.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "mcsec/control/api/operator_backend.hpp"
#include "mcsec/control/api/operator_server.hpp"

namespace mcsec::control::api::test {

// Answers in the shapes docs/protocol/operator-api.md specifies. rekey() refuses the group
// "239.9.9.9" (OperatorError) and fails on "boom" (any other exception).
class FakeBackend final : public OperatorBackend {
  public:
    Json status() override {
        return Json{{"instance", "site-a"},    {"node_id", "site-a"},
                    {"version", "0.1.0"},      {"pid", 4242},
                    {"uptime_s", 3600},        {"keying_mode", "mike"},
                    {"dataplane", "attached"}, {"peers_up", 1},
                    {"peers_known", 2},        {"groups_protected", 1},
                    {"groups_keyed", 1},       {"alarms", 1}};
    }
    Json peers() override {
        return Json::array({
            {{"node_id", "site-b"},
             {"state", "up"},
             {"black_address", "192.0.2.2"},
             {"startup_timestamp", 1794038400},
             {"sequence", 3600},
             {"last_heard_ms", 420},
             {"prefixes", {"10.2.0.0/16"}}},
            {{"node_id", "site-c"},
             {"state", "down"},
             {"black_address", "192.0.2.3"},
             {"startup_timestamp", 1794038000},
             {"sequence", 10},
             {"last_heard_ms", 12500},
             {"prefixes", Json::array()}},
        });
    }
    Json groups() override {
        return Json::array({{{"group", "239.1.1.1"},
                             {"source", nullptr},
                             {"black_group", nullptr},
                             {"policy", "default"},
                             {"state", "keyed"},
                             {"role", "tm"},
                             {"phase", "tm_stable"},
                             {"tm", "site-a"},
                             {"epoch", 7},
                             {"members", {"site-a", "site-b"}},
                             {"spi", 0x1234},
                             {"rekeyed_ms_ago", 60000}}});
    }
    Json sas() override {
        return Json::array({{{"group", "239.1.1.1"},
                             {"spi", 0x1234},
                             {"direction", "outbound"},
                             {"state", "active"},
                             {"epoch", 7},
                             {"sender_id", 1},
                             {"slot", 0},
                             {"installed_ms_ago", 60000}}});
    }
    Json alarms() override {
        return Json::array({{{"time", "2026-11-03T10:15:02Z"},
                             {"kind", "SIGN_FAILED"},
                             {"origin", "local"},
                             {"group", "239.1.1.1"},
                             {"peer", "site-c"},
                             {"spi", 0},
                             {"detail", "bad signature"}}});
    }
    Json counters() override {
        return Json{{"unknown_datagrams", 3},
                    {"unroutable_datagrams", 0},
                    {"prefix_exchange", nullptr},
                    {"hello_verdicts", {{"accepted", 120}, {"bad_signature", 0}, {"replay", 2}}}};
    }
    Json rekey(std::optional<std::string> group) override {
        {
            const std::lock_guard lock(mutex_);
            ++rekeys_;
            last_rekey_group_ = group;
        }
        if (group == "239.9.9.9") throw OperatorError("no protected group 239.9.9.9");
        if (group == "boom") throw std::runtime_error("keying engine exploded");
        return Json{{"started", Json::array({group.value_or("239.1.1.1")})}};
    }

    int rekeys() {
        const std::lock_guard lock(mutex_);
        return rekeys_;
    }
    std::optional<std::string> last_rekey_group() {
        const std::lock_guard lock(mutex_);
        return last_rekey_group_;
    }

  private:
    std::mutex mutex_;
    int rekeys_ = 0;
    std::optional<std::string> last_rekey_group_;
};

// A fresh directory under /tmp (short, so socket paths fit sun_path), removed at the end.
class TempDir {
  public:
    TempDir() {
        char pattern[] = "/tmp/mcsec-api-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) std::abort();
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// An OperatorServer on its own io_context thread, as the daemon would run it.
class ServerThread {
  public:
    ServerThread(OperatorBackend& backend, OperatorServerOptions options)
        : server_(std::make_unique<OperatorServer>(io_, backend, std::move(options))) {}
    ~ServerThread() {
        io_.stop();
        if (thread_.joinable()) thread_.join();
        server_.reset();  // stops on this thread: the io_context no longer runs
    }
    ServerThread(const ServerThread&) = delete;
    ServerThread& operator=(const ServerThread&) = delete;

    bool start(std::string& error) {
        if (!server_->start(error)) return false;
        thread_ = std::thread([this] { io_.run(); });
        return true;
    }
    // Runs `fn` on the io thread and waits for it (Asio objects are not thread-safe).
    template <typename Fn>
    auto on_io(Fn fn) {
        std::packaged_task<decltype(fn())()> task(std::move(fn));
        auto result = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return result.get();
    }
    OperatorServer& server() { return *server_; }

  private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    std::unique_ptr<OperatorServer> server_;
    std::thread thread_;
};

// A plain socket client for what call_operator_api() never sends: garbage, oversize lines,
// several requests at once.
class RawConnection {
  public:
    explicit RawConnection(const std::filesystem::path& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
        connected_ =
            ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~RawConnection() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return connected_; }
    // Writes everything it can; a server that closed early makes it stop (no SIGPIPE).
    void send(const std::string& bytes) {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return;
            sent += static_cast<std::size_t>(n);
        }
    }
    // The next '\n'-terminated line (without it), or nullopt on close or after `timeout`.
    std::optional<std::string> read_line(
        std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            if (const auto end = buffer_.find('\n'); end != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 1);
                return line;
            }
            if (!wait_readable(deadline)) return std::nullopt;
            char chunk[4096];
            const auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
            if (n <= 0) return std::nullopt;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }
    // True when the server closes the connection within `timeout` (and sends nothing more).
    bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (wait_readable(deadline)) {
            char chunk[4096];
            const auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
            if (n <= 0) return true;
        }
        return false;
    }

  private:
    bool wait_readable(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buffer_;
};

}  // namespace mcsec::control::api::test
