// One operator connection: reads request lines, answers each in order, closes on oversize
// requests, idleness or server stop. Internal to OperatorServer.
#pragma once

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "mcsec/control/api/operator_backend.hpp"
#include "mcsec/control/api/response.hpp"

namespace mcsec::control::api {

class OperatorSession : public std::enable_shared_from_this<OperatorSession> {
  public:
    // `backend` is used only while the session is open; the server closes every session
    // before it (and so the backend) goes away.
    OperatorSession(boost::asio::local::stream_protocol::socket socket, OperatorBackend& backend,
                    std::size_t max_request_bytes, std::chrono::milliseconds idle_timeout);

    // Serves requests until the client leaves.
    void start();
    // Sends one error response and closes (a connection over the server's limit).
    void reject(ErrorCode code, std::string_view message);
    // Stops serving at once; pending handlers see the session closed and do nothing.
    void close();
    bool is_open() const noexcept { return !closed_; }

  private:
    void read_next();
    void on_request(const boost::system::error_code& error, std::size_t line_bytes);
    void send(std::string line, bool close_after);
    // Closes the connection when the operation now started makes no progress in time.
    void arm_idle_timer();

    boost::asio::local::stream_protocol::socket socket_;
    boost::asio::steady_timer idle_timer_;
    OperatorBackend& backend_;
    std::size_t max_request_bytes_;
    std::chrono::milliseconds idle_timeout_;
    std::string input_;   // bytes received, possibly several pipelined requests
    std::string output_;  // the response being written
    bool closed_ = false;
};

}  // namespace mcsec::control::api
