#include "mcsec/control/api/operator_client.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

#include "mcsec/control/api/socket_file.hpp"

namespace mcsec::control::api {

namespace {

using boost::asio::local::stream_protocol;

CallResult failure(CallStatus status, std::string error) {
    CallResult result;
    result.status = status;
    result.error = std::move(error);
    return result;
}

CallResult connect_failure(const std::filesystem::path& path,
                           const boost::system::error_code& error) {
    if (error == boost::system::errc::no_such_file_or_directory) {
        return failure(CallStatus::NotRunning, "no socket at " + path.string());
    }
    if (error == boost::asio::error::connection_refused) {
        return failure(CallStatus::NotRunning,
                       "nobody listens on " + path.string() + " (a stale socket)");
    }
    if (error == boost::system::errc::permission_denied) {
        return failure(CallStatus::Failed, path.string() +
                                               ": permission denied (the socket is mode 0600: "
                                               "run as the user mcsec-controld runs as)");
    }
    return failure(CallStatus::Failed, path.string() + ": " + error.message());
}

}  // namespace

CallResult call_operator_api(const std::filesystem::path& socket_path, const Request& request,
                             const ClientOptions& options) {
    if (!socket_path_fits(socket_path)) {
        return failure(CallStatus::Failed,
                       "'" + socket_path.string() + "': path empty or too long for a socket");
    }
    boost::asio::io_context io;
    stream_protocol::socket socket(io);
    const std::string request_line = to_line(encode_request(request));
    std::string input;
    CallResult result;
    bool finished = false;
    auto finish = [&](CallResult outcome) {
        result = std::move(outcome);
        finished = true;
        io.stop();
    };

    // Everything asynchronous, so one deadline (run_for) bounds connect, write and read alike.
    socket.async_connect(stream_protocol::endpoint(socket_path.string()), [&](const auto& error) {
        if (error) return finish(connect_failure(socket_path, error));
        boost::asio::async_write(
            socket, boost::asio::buffer(request_line), [&](const auto& e, std::size_t) {
                if (e)
                    return finish(
                        failure(CallStatus::Failed, "sending the request: " + e.message()));
                boost::asio::async_read_until(
                    socket, boost::asio::dynamic_buffer(input, options.max_response_bytes), '\n',
                    [&](const auto& read_error, std::size_t n) {
                        if (read_error == boost::asio::error::not_found) {
                            return finish(failure(CallStatus::Failed, "response too long"));
                        }
                        if (read_error) {
                            return finish(failure(CallStatus::Failed,
                                                  "reading the response: " + read_error.message()));
                        }
                        std::string parse_error;
                        auto response =
                            parse_response(std::string_view(input.data(), n), parse_error);
                        if (!response) return finish(failure(CallStatus::Failed, parse_error));
                        CallResult answered;
                        answered.status = CallStatus::Answered;
                        answered.response = std::move(*response);
                        finish(std::move(answered));
                    });
            });
    });
    io.run_for(options.timeout);
    if (!finished) {
        return failure(CallStatus::Failed, "no answer on " + socket_path.string() + " within " +
                                               std::to_string(options.timeout.count()) + " ms");
    }
    return result;
}

}  // namespace mcsec::control::api
