#include "mcsec/control/api/operator_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <utility>

#include "mcsec/control/api/dispatch.hpp"

namespace mcsec::control::api {

OperatorSession::OperatorSession(boost::asio::local::stream_protocol::socket socket,
                                 OperatorBackend& backend, std::size_t max_request_bytes,
                                 std::chrono::milliseconds idle_timeout)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      backend_(backend),
      max_request_bytes_(max_request_bytes),
      idle_timeout_(idle_timeout) {}

void OperatorSession::start() {
    read_next();
}

void OperatorSession::reject(ErrorCode code, std::string_view message) {
    send(to_line(error_response(code, message)), true);
}

void OperatorSession::close() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
}

void OperatorSession::read_next() {
    if (closed_) return;
    arm_idle_timer();
    // The buffer may hold one byte more than the limit: the '\n' that ends a maximal request.
    // Filling it without finding '\n' completes with error::not_found.
    boost::asio::async_read_until(
        socket_, boost::asio::dynamic_buffer(input_, max_request_bytes_ + 1), '\n',
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
            self->on_request(error, n);
        });
}

void OperatorSession::on_request(const boost::system::error_code& error, std::size_t line_bytes) {
    if (closed_) return;
    if (error == boost::asio::error::not_found) {
        reject(ErrorCode::TooLarge,
               "request exceeds " + std::to_string(max_request_bytes_) + " bytes; closing");
        return;
    }
    if (error) {  // the client left (eof) or the connection broke: nothing to answer
        close();
        return;
    }
    const std::string_view line(input_.data(), line_bytes - 1);  // without the '\n'
    if (line.empty() || line == "\r") {
        // A blank line is no request (handy with socat by hand); it gets no answer.
        input_.erase(0, line_bytes);
        read_next();
        return;
    }
    std::string response = handle_request_line(backend_, line);
    input_.erase(0, line_bytes);
    send(std::move(response), false);
}

void OperatorSession::send(std::string line, bool close_after) {
    if (closed_) return;
    output_ = std::move(line);
    arm_idle_timer();
    boost::asio::async_write(
        socket_, boost::asio::buffer(output_),
        [self = shared_from_this(), close_after](const boost::system::error_code& error,
                                                 std::size_t) {
            if (self->closed_) return;
            if (error || close_after) {
                self->close();
                return;
            }
            self->read_next();  // the next request may already be buffered (pipelining)
        });
}

void OperatorSession::arm_idle_timer() {
    idle_timer_.expires_after(idle_timeout_);
    idle_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
        if (error) return;  // re-armed or cancelled
        if (auto self = weak.lock()) self->close();
    });
}

}  // namespace mcsec::control::api
