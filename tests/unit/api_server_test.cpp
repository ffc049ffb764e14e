// The operator API over a real Unix socket in a temporary directory: every command through
// the client, hostile input through a raw connection, and the socket file's life cycle
// (permissions, stale sockets, a second server).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <vector>

#include "api_test_support.hpp"
#include "mcsec/control/api/operator_client.hpp"
#include "mcsec/control/api/socket_file.hpp"

namespace mcsec::control::api {
namespace {

using test::FakeBackend;
using test::RawConnection;
using test::ServerThread;
using test::TempDir;

mode_t mode_of(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

bool is_unix_socket(const std::filesystem::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Leaves a socket file nobody listens on, as a daemon killed with SIGKILL does.
void make_stale_socket(const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
}

class ApiServer : public ::testing::Test {
  protected:
    OperatorServerOptions options(std::string name = "site-a.sock") {
        OperatorServerOptions o;
        o.socket_path = dir_.path() / name;
        return o;
    }
    ServerThread& start(OperatorServerOptions o) {
        server_ = std::make_unique<ServerThread>(backend_, std::move(o));
        std::string error;
        EXPECT_TRUE(server_->start(error)) << error;
        return *server_;
    }
    std::filesystem::path path() const { return dir_.path() / "site-a.sock"; }
    CallResult call(Request request) { return call_operator_api(path(), request); }

    TempDir dir_;
    FakeBackend backend_;
    std::unique_ptr<ServerThread> server_;
};

TEST_F(ApiServer, AnswersEveryCommand) {
    start(options());
    const std::pair<Command, Json> cases[] = {
        {Command::Status, backend_.status()}, {Command::Peers, backend_.peers()},
        {Command::Groups, backend_.groups()}, {Command::Sas, backend_.sas()},
        {Command::Alarms, backend_.alarms()}, {Command::Counters, backend_.counters()},
    };
    for (const auto& [command, expected] : cases) {
        const auto result = call({command, {}});
        ASSERT_EQ(result.status, CallStatus::Answered) << result.error;
        EXPECT_TRUE(result.response.ok) << to_string(command);
        EXPECT_EQ(result.response.result, expected) << to_string(command);
    }
}

TEST_F(ApiServer, RekeyPassesTheGroupAndReportsRefusals) {
    start(options());
    auto all = call({Command::Rekey, std::nullopt});
    ASSERT_EQ(all.status, CallStatus::Answered);
    EXPECT_TRUE(all.response.ok);
    EXPECT_EQ(backend_.last_rekey_group(), std::nullopt);

    auto one = call({Command::Rekey, std::string("239.1.1.1")});
    EXPECT_EQ(one.response.result, (Json{{"started", {"239.1.1.1"}}}));
    EXPECT_EQ(backend_.last_rekey_group(), "239.1.1.1");

    auto refused = call({Command::Rekey, std::string("239.9.9.9")});
    ASSERT_EQ(refused.status, CallStatus::Answered);
    EXPECT_FALSE(refused.response.ok);
    EXPECT_EQ(refused.response.code, "rejected");
    EXPECT_EQ(refused.response.error, "no protected group 239.9.9.9");

    auto failed = call({Command::Rekey, std::string("boom")});
    EXPECT_EQ(failed.response.code, "internal");
    // The server survives a throwing backend.
    EXPECT_TRUE(call({Command::Status, {}}).response.ok);
    EXPECT_EQ(backend_.rekeys(), 4);
}

TEST_F(ApiServer, MalformedAndUnknownRequestsGetErrorsAndTheConnectionStays) {
    start(options());
    RawConnection raw(path());
    ASSERT_TRUE(raw.connected());
    raw.send("this is not json\n");
    std::string error;
    auto malformed = parse_response(raw.read_line().value_or(""), error);
    ASSERT_TRUE(malformed) << error;
    EXPECT_EQ(malformed->code, "bad_request");

    raw.send(R"({"command":"reboot"})"
             "\n");
    auto unknown = parse_response(raw.read_line().value_or(""), error);
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->code, "unknown_command");

    raw.send(std::string("{\"command\":\"show\",\"what\":\"peers\"}\0\xff\n", 36));
    EXPECT_EQ(parse_response(raw.read_line().value_or(""), error)->code, "bad_request");

    raw.send(R"({"command":"show","what":"status"})"
             "\n");
    auto status = parse_response(raw.read_line().value_or(""), error);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->ok);
}

TEST_F(ApiServer, PipelinedRequestsAreAnsweredInOrder) {
    start(options());
    RawConnection raw(path());
    // Several requests in one write, a blank line (no answer) and one split across writes.
    raw.send(
        "{\"command\":\"show\",\"what\":\"status\"}\n\n"
        "{\"command\":\"show\",\"what\":\"peers\"}\r\n"
        "{\"command\":\"show\",");
    raw.send("\"what\":\"counters\"}\n");
    std::string error;
    EXPECT_EQ(parse_response(raw.read_line().value_or(""), error)->result, backend_.status());
    EXPECT_EQ(parse_response(raw.read_line().value_or(""), error)->result, backend_.peers());
    EXPECT_EQ(parse_response(raw.read_line().value_or(""), error)->result, backend_.counters());
    EXPECT_EQ(raw.read_line(std::chrono::milliseconds(100)), std::nullopt);
}

TEST_F(ApiServer, RequestAtTheLimitIsServedOneByteMoreClosesTheConnection) {
    const auto o = options();
    ASSERT_EQ(o.max_request_bytes, 64u * 1024);
    start(o);
    const std::string request = R"({"command":"show","what":"status"})";
    const std::string at_limit = request + std::string(o.max_request_bytes - request.size(), ' ');

    RawConnection fits(path());
    fits.send(at_limit + "\n");
    std::string error;
    auto ok = parse_response(fits.read_line().value_or(""), error);
    ASSERT_TRUE(ok) << error;
    EXPECT_TRUE(ok->ok);

    RawConnection too_long(path());
    too_long.send(at_limit + " \n");
    auto refused = parse_response(too_long.read_line().value_or(""), error);
    ASSERT_TRUE(refused) << error;
    EXPECT_EQ(refused->code, "too_large");
    EXPECT_TRUE(too_long.closed_by_peer());
}

TEST_F(ApiServer, EndlessLineWithoutNewlineIsCutOff) {
    auto o = options();
    o.max_request_bytes = 1024;
    start(o);
    RawConnection raw(path());
    raw.send(std::string(100 * 1024, '{'));
    std::string error;
    auto refused = parse_response(raw.read_line().value_or(""), error);
    ASSERT_TRUE(refused) << error;
    EXPECT_EQ(refused->code, "too_large");
    EXPECT_NE(refused->error.find("1024"), std::string::npos);
    EXPECT_TRUE(raw.closed_by_peer());
    EXPECT_TRUE(call({Command::Status, {}}).response.ok);  // others still served
}

TEST_F(ApiServer, ConcurrentClients) {
    start(options());
    std::vector<std::thread> clients;
    std::atomic<int> answered{0};
    for (int c = 0; c < 8; ++c) {
        clients.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                if (call({Command::Groups, {}}).response.result == backend_.groups()) ++answered;
            }
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(answered.load(), 200);
}

TEST_F(ApiServer, IdleConnectionsAreClosed) {
    auto o = options();
    o.idle_timeout = std::chrono::milliseconds(100);
    start(o);
    RawConnection raw(path());
    raw.send(R"({"command":"show",)");  // half a request, then silence
    EXPECT_TRUE(raw.closed_by_peer(std::chrono::seconds(3)));
    EXPECT_EQ(server_->on_io([&] { return server_->server().connection_count(); }), 0u);
}

TEST_F(ApiServer, ConnectionsBeyondTheLimitAreTurnedAway) {
    auto o = options();
    o.max_connections = 1;
    start(o);
    RawConnection first(path());
    first.send(R"({"command":"show","what":"status"})"
               "\n");
    ASSERT_TRUE(first.read_line());  // accepted and registered
    RawConnection second(path());
    std::string error;
    auto busy = parse_response(second.read_line().value_or(""), error);
    ASSERT_TRUE(busy) << error;
    EXPECT_EQ(busy->code, "busy");
    EXPECT_TRUE(second.closed_by_peer());
}

TEST_F(ApiServer, SocketIsMode0600AndNewDirectory0700) {
    OperatorServerOptions o;
    o.socket_path = dir_.path() / "run" / "mcsec" / "site-a.sock";
    start(o);
    EXPECT_TRUE(is_unix_socket(o.socket_path));
    EXPECT_EQ(mode_of(o.socket_path), 0600u);
    EXPECT_EQ(mode_of(o.socket_path.parent_path()), 0700u);
}

TEST_F(ApiServer, ModeIs0600EvenWithAPermissiveUmask) {
    const mode_t previous = ::umask(0);
    start(options());
    ::umask(previous);
    EXPECT_EQ(mode_of(path()), 0600u);
}

// Whoever may write in the socket's directory could put their own socket there: refused.
TEST_F(ApiServer, ADirectoryOthersMayWriteInOrASymlinkIsRefused) {
    const auto shared = dir_.path() / "shared";
    std::filesystem::create_directory(shared);
    ::chmod(shared.c_str(), 0777);
    OperatorServerOptions o;
    o.socket_path = shared / "site-a.sock";
    ServerThread server(backend_, o);
    std::string error;
    EXPECT_FALSE(server.start(error));
    EXPECT_NE(error.find("lets group or others write"), std::string::npos) << error;
    EXPECT_FALSE(std::filesystem::exists(o.socket_path));

    const auto link = dir_.path() / "link";
    std::filesystem::create_directory_symlink(shared, link);
    o.socket_path = link / "site-a.sock";
    ServerThread via_link(backend_, o);
    EXPECT_FALSE(via_link.start(error));
    EXPECT_NE(error.find("symbolic links refused"), std::string::npos) << error;
}

TEST_F(ApiServer, StaleSocketIsReplaced) {
    make_stale_socket(path());
    std::string error;
    EXPECT_EQ(probe_socket_file(path(), error), SocketFileState::Stale);
    start(options());
    EXPECT_EQ(probe_socket_file(path(), error), SocketFileState::Live);
    EXPECT_TRUE(call({Command::Status, {}}).response.ok);
}

TEST_F(ApiServer, SecondServerOnTheSameSocketIsRefused) {
    start(options());
    FakeBackend other_backend;
    ServerThread second(other_backend, options());
    std::string error;
    EXPECT_FALSE(second.start(error));
    EXPECT_NE(error.find("another server answers"), std::string::npos) << error;
    // The first one is untouched.
    EXPECT_TRUE(is_unix_socket(path()));
    EXPECT_TRUE(call({Command::Status, {}}).response.ok);
}

TEST_F(ApiServer, SomethingElseAtThePathIsNeverReplaced) {
    std::ofstream(path()) << "precious";
    ServerThread server(backend_, options());
    std::string error;
    EXPECT_FALSE(server.start(error));
    EXPECT_NE(error.find("not a socket"), std::string::npos) << error;
    std::ifstream in(path());
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");
}

TEST_F(ApiServer, TooLongPathIsAnErrorNotAnException) {
    OperatorServerOptions o;
    o.socket_path = dir_.path() / std::string(120, 's');
    ServerThread server(backend_, o);
    std::string error;
    EXPECT_FALSE(server.start(error));
    EXPECT_NE(error.find("too long"), std::string::npos) << error;
    EXPECT_EQ(call_operator_api(o.socket_path, {Command::Status, {}}).status, CallStatus::Failed);
}

TEST_F(ApiServer, StopRemovesItsSocketButNotASuccessors) {
    auto& first = start(options());
    first.on_io([&] { first.server().stop(); });
    EXPECT_FALSE(std::filesystem::exists(path()));

    // A server whose file was replaced by a newer server leaves the newer one alone.
    auto& old_server = start(options());
    ASSERT_EQ(::unlink(path().c_str()), 0);
    ServerThread successor(backend_, options());
    std::string error;
    ASSERT_TRUE(successor.start(error)) << error;
    old_server.on_io([&] { old_server.server().stop(); });
    EXPECT_TRUE(is_unix_socket(path()));
    EXPECT_TRUE(call({Command::Status, {}}).response.ok);
}

TEST_F(ApiServer, ClientReportsNotRunning) {
    auto missing = call({Command::Status, {}});
    EXPECT_EQ(missing.status, CallStatus::NotRunning);
    EXPECT_EQ(missing.error, "no socket at " + path().string());

    make_stale_socket(path());
    auto stale = call({Command::Status, {}});
    EXPECT_EQ(stale.status, CallStatus::NotRunning);
    EXPECT_NE(stale.error.find("stale"), std::string::npos);
}

TEST_F(ApiServer, ClientTimesOutOnASilentServer) {
    // A listener that never accepts or answers, like a wedged daemon.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path().c_str(), sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    ClientOptions quick;
    quick.timeout = std::chrono::milliseconds(200);
    const auto result = call_operator_api(path(), {Command::Status, {}}, quick);
    ::close(fd);
    EXPECT_EQ(result.status, CallStatus::Failed);
    EXPECT_NE(result.error.find("within 200 ms"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace mcsec::control::api
