#include "tls_peer_channel.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "mcsec/control/identity/tls_context.hpp"
#include "mcsec/control/idp/wire_format.hpp"
#include "mcsec/control/lkh/tree_replica.hpp"

namespace mcsec::control {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using Stream = ssl::stream<tcp::socket>;

struct TlsPeerChannel::Outbound {
    explicit Outbound(asio::io_context& io) : wake(io) {}
    // Wiped when dropped or written: LKH replicas carry a key tree.
    std::deque<lkh::WipedBuffer> queue;
    asio::steady_timer wake;  // cancelled when a message is queued
    std::unique_ptr<ssl::context> context;
    std::unique_ptr<Stream> stream;
    bool closed = false;
};

struct TlsPeerChannel::Inbound {
    Inbound(tcp::socket socket, ssl::context& context) : stream(std::move(socket), context) {}
    Stream stream;
    std::string address;         // the remote IP address, for alarms
    std::optional<NodeId> peer;  // known once the handshake verified its certificate
};

namespace {

tcp::endpoint endpoint_of(const config::IpAddress& address, std::uint16_t port) {
    return {asio::ip::make_address(address.to_string()), port};
}

// Closes the TCP socket under a stream if its handshake has not finished by the deadline: a
// handshake that stalls must not hold a connection slot for ever. The timer's handler keeps the
// stream's owner alive and checks `done`, because a timer that fired may still have its handler
// queued after the handshake finished and the coroutine moved on.
class HandshakeDeadline {
  public:
    HandshakeDeadline(asio::io_context& io, std::shared_ptr<void> owner, Stream& stream,
                      std::chrono::seconds timeout)
        : timer_(io) {
        timer_.expires_after(timeout);
        timer_.async_wait(
            [owner = std::move(owner), done = done_, &stream](const boost::system::error_code& ec) {
                if (ec || *done) return;
                boost::system::error_code ignored;
                stream.lowest_layer().close(ignored);
            });
    }
    ~HandshakeDeadline() {
        *done_ = true;
        timer_.cancel();
    }
    HandshakeDeadline(const HandshakeDeadline&) = delete;
    HandshakeDeadline& operator=(const HandshakeDeadline&) = delete;

  private:
    std::shared_ptr<bool> done_ = std::make_shared<bool>(false);
    asio::steady_timer timer_;
};

// TCP keepalive on every channel socket: a peer that vanished without closing (power loss, a
// cut link) is noticed in about 25 s instead of holding its connection for hours.
void enable_keepalive(tcp::socket& socket) {
    const int on = 1, idle_s = 10, interval_s = 5, probes = 3;
    const int fd = socket.native_handle();
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
}

// A handshake error that TLS itself raised, as opposed to a timeout, reset or close (what a
// restarting peer looks like: counted only). A refused certificate, on either side, says why
// ("certificate verify failed: unable to get local issuer certificate"); other TLS errors are
// bytes that are not the TLS we speak.
std::optional<TlsRefusal> tls_refusal(Stream& stream, const boost::system::error_code& ec) {
    if (ec.category() != asio::error::get_ssl_category()) return std::nullopt;
    std::string reason = ec.message();
    TlsRefusal::Kind kind = TlsRefusal::Kind::MalformedFrame;
    if (const long verify = SSL_get_verify_result(stream.native_handle()); verify != X509_V_OK) {
        reason =
            "its certificate was refused: " + reason + ": " + X509_verify_cert_error_string(verify);
        kind = TlsRefusal::Kind::CertificateRefused;
    }
    switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
        case SSL_R_CERTIFICATE_VERIFY_FAILED:
        case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
            kind = TlsRefusal::Kind::CertificateRefused;
            break;
        // The peer's alerts: it refused our certificate (another deployment CA, say).
        case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
        case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
        case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
        case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
            reason = "it refused our certificate: " + reason;
            kind = TlsRefusal::Kind::CertificateRefused;
            break;
        default:
            break;
    }
    return TlsRefusal{kind, {}, {}, std::move(reason)};
}

}  // namespace

TlsPeerChannel::TlsPeerChannel(asio::io_context& io,
                               std::shared_ptr<const identity::X509Credentials> credentials,
                               std::string interface, const config::IpAddress& listen_address,
                               std::uint16_t port, Handler on_message, RefusalHandler on_refusal)
    : io_(io),
      credentials_(std::move(credentials)),
      interface_(std::move(interface)),
      port_(port),
      on_message_(std::move(on_message)),
      on_refusal_(std::move(on_refusal)),
      server_context_(identity::make_tls_server_context(*credentials_)),
      acceptor_(io) {
    const auto endpoint = endpoint_of(listen_address, port);
    const std::string where = "TLS prefix channel on " + listen_address.to_string() + " TCP port " +
                              std::to_string(port) +
                              (interface_.empty() ? "" : " (" + interface_ + ")");
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && !interface_.empty() &&
        setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, interface_.c_str(),
                   static_cast<socklen_t>(interface_.size())) != 0) {
        throw std::runtime_error(where + ": bind to device: " + std::strerror(errno));
    }
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(tcp::socket::max_listen_connections, ec);
    if (ec) throw std::runtime_error(where + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();  // the real one when 0 was asked (tests)
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

TlsPeerChannel::~TlsPeerChannel() {
    *alive_ = false;
    stop();
}

void TlsPeerChannel::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& [peer, link] : outbound_) {
        link->closed = true;
        link->wake.cancel();
        if (link->stream) link->stream->lowest_layer().close(ignored);
    }
    outbound_.clear();
    for (auto& weak : inbound_) {
        if (auto connection = weak.lock()) connection->stream.lowest_layer().close(ignored);
    }
    inbound_.clear();
}

tcp::socket TlsPeerChannel::make_socket(const tcp::endpoint& endpoint) {
    tcp::socket socket(io_);
    socket.open(endpoint.protocol());
    if (!interface_.empty() &&
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, interface_.c_str(),
                   static_cast<socklen_t>(interface_.size())) != 0) {
        throw std::runtime_error("bind to " + interface_ + ": " + std::strerror(errno));
    }
    enable_keepalive(socket);
    return socket;
}

void TlsPeerChannel::refuse(TlsRefusal refusal) const {
    if (on_refusal_) on_refusal_(refusal);
}

void TlsPeerChannel::send(const NodeId& peer, const config::IpAddress& address,
                          std::vector<std::uint8_t> message) {
    auto& link = outbound_[peer];
    if (!link) {
        link = std::make_shared<Outbound>(io_);
        link->queue.push_back(lkh::WipedBuffer::adopt(std::move(message)));
        const auto endpoint = endpoint_of(address, port_);
        try {
            link->context = std::make_unique<ssl::context>(
                identity::make_tls_client_context(*credentials_, peer));
            link->stream = std::make_unique<Stream>(make_socket(endpoint), *link->context);
        } catch (const std::exception&) {
            ++counters_.handshake_failures;
            counters_.dropped += link->queue.size();
            outbound_.erase(peer);
            return;
        }
        asio::co_spawn(io_, run_outbound(peer, link, endpoint), asio::detached);
        return;
    }
    if (link->queue.size() >= kMaxQueuedPerPeer) {
        link->queue.pop_front();
        ++counters_.dropped;
    }
    link->queue.push_back(lkh::WipedBuffer::adopt(std::move(message)));
    link->wake.cancel();
}

void TlsPeerChannel::forget(const NodeId& peer) {
    const auto found = outbound_.find(peer);
    if (found == outbound_.end()) return;
    auto link = found->second;
    outbound_.erase(found);
    counters_.dropped += link->queue.size();
    link->queue.clear();
    link->closed = true;
    link->wake.cancel();
    boost::system::error_code ignored;
    if (link->stream) link->stream->lowest_layer().close(ignored);
}

asio::awaitable<void> TlsPeerChannel::run_outbound(NodeId peer, std::shared_ptr<Outbound> link,
                                                   tcp::endpoint endpoint) {
    const auto alive = alive_;
    Stream& stream = *link->stream;
    boost::system::error_code ec;
    bool established = false;
    {
        const HandshakeDeadline deadline(io_, link, stream, kHandshakeTimeout);
        co_await stream.lowest_layer().async_connect(endpoint,
                                                     asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && *alive && !link->closed) {
            co_await stream.async_handshake(ssl::stream_base::client,
                                            asio::redirect_error(asio::use_awaitable, ec));
            established = !ec;
        }
    }
    if (!*alive) co_return;
    if (!established) {
        ++counters_.handshake_failures;
        if (auto refusal = ec ? tls_refusal(stream, ec) : std::nullopt) {
            refusal->address = endpoint.address().to_string();
            refusal->peer = peer;
            refuse(std::move(*refusal));
        }
    } else {
        ++counters_.connects;
        asio::co_spawn(io_, watch_outbound(link), asio::detached);
        while (!link->closed) {
            if (link->queue.empty()) {
                link->wake.expires_at(asio::steady_timer::time_point::max());
                co_await link->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                if (!*alive) co_return;
                continue;
            }
            const lkh::WipedBuffer message = std::move(link->queue.front());
            link->queue.pop_front();
            co_await asio::async_write(stream, asio::buffer(message.view().data(), message.size()),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (!*alive) co_return;
            if (ec) {
                if (!link->closed) ++counters_.connection_errors;
                break;
            }
            ++counters_.messages_sent;
        }
    }
    // Failed or forgotten: drop what is queued; the next send() dials again.
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
    counters_.dropped += link->queue.size();
    link->queue.clear();
    const auto current = outbound_.find(peer);
    if (current != outbound_.end() && current->second == link) outbound_.erase(current);
}

asio::awaitable<void> TlsPeerChannel::watch_outbound(std::shared_ptr<Outbound> link) {
    // The server never sends application data, so a read completes only when its end closed
    // (a restart, or it replaced this connection) or misbehaved. Without this, the first write
    // into a half-closed connection "succeeds" locally and its message is lost.
    const auto alive = alive_;
    std::array<std::uint8_t, 1> byte{};
    boost::system::error_code ec;
    co_await link->stream->async_read_some(asio::buffer(byte),
                                           asio::redirect_error(asio::use_awaitable, ec));
    if (!*alive || link->closed) co_return;
    ++counters_.connection_errors;
    link->closed = true;
    link->wake.cancel();  // the writer loop sees `closed`, closes the socket and forgets it
}

asio::awaitable<void> TlsPeerChannel::accept_loop() {
    const auto alive = alive_;
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (!*alive || !acceptor_.is_open()) co_return;
        if (ec) {
            // Out of descriptors or memory, say: pause instead of spinning on the error.
            ++counters_.accept_errors;
            asio::steady_timer pause(io_, kAcceptErrorPause);
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (!*alive || !acceptor_.is_open()) co_return;
            continue;
        }
        enable_keepalive(socket);
        std::erase_if(inbound_, [](const std::weak_ptr<Inbound>& w) { return w.expired(); });
        if (inbound_.size() >= kMaxInbound) {
            ++counters_.refused_inbound;
            continue;  // the socket closes here
        }
        boost::system::error_code no_endpoint;
        const auto remote = socket.remote_endpoint(no_endpoint);
        auto connection = std::make_shared<Inbound>(std::move(socket), server_context_);
        connection->address = no_endpoint ? "?" : remote.address().to_string();
        inbound_.push_back(connection);
        asio::co_spawn(io_, serve(std::move(connection)), asio::detached);
    }
}

asio::awaitable<void> TlsPeerChannel::serve(std::shared_ptr<Inbound> connection) {
    const auto alive = alive_;
    Stream& stream = connection->stream;
    boost::system::error_code ec;
    {
        const HandshakeDeadline deadline(io_, connection, stream, kHandshakeTimeout);
        co_await stream.async_handshake(ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!*alive) co_return;
    // The context verified the chain to the deployment CA; the peer is its certificate's CN.
    const std::optional<NodeId> peer =
        ec ? std::nullopt : identity::tls_peer_node_id(*stream.native_handle());
    if (!peer) {
        ++counters_.handshake_failures;
        auto refusal =
            ec ? tls_refusal(stream, ec)
               : TlsRefusal{
                     TlsRefusal::Kind::CertificateRefused, {}, {}, "the certificate names no node"};
        if (refusal) {
            refusal->address = connection->address;
            refuse(std::move(*refusal));
        }
        co_return;
    }
    ++counters_.accepts;
    // One inbound connection per peer: an older one is from the peer's previous process (it
    // restarted, or dialled again after a failure) and would otherwise stay open unused.
    connection->peer = peer;
    for (auto& weak : inbound_) {
        auto other = weak.lock();
        if (!other || other == connection || other->peer != peer) continue;
        boost::system::error_code ignored;
        other->stream.lowest_layer().close(ignored);
        ++counters_.replaced_inbound;
    }
    std::vector<std::uint8_t> message;
    for (;;) {
        message.resize(idp::kHeaderBytes);
        co_await asio::async_read(stream, asio::buffer(message),
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (!*alive) co_return;
        if (ec) break;  // the peer closed, or the connection failed
        // IDP prefix messages, or a group's LKH tree replicated between its senders.
        const wire::FrameFormat& format =
            lkh::is_replica_frame(message) ? lkh::kReplicaFrameFormat : idp::kFrameFormat;
        wire::FrameHeader header;
        if (wire::peek_header(message, format, header) != wire::FrameError::Ok ||
            header.length < idp::kHeaderBytes || header.length > format.max_bytes) {
            ++counters_.malformed;  // the stream cannot be re-framed: give up on it
            refuse({TlsRefusal::Kind::MalformedFrame, connection->address, *peer,
                    "frame header does not parse or its length is out of range"});
            break;
        }
        message.resize(header.length);
        co_await asio::async_read(
            stream,
            asio::buffer(message.data() + idp::kHeaderBytes, header.length - idp::kHeaderBytes),
            asio::redirect_error(asio::use_awaitable, ec));
        if (!*alive) co_return;
        if (ec) break;
        ++counters_.messages_received;
        on_message_(*peer, message);
        OPENSSL_cleanse(message.data(), message.size());  // an LKH replica holds keys
        if (!*alive) co_return;
    }
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
}

}  // namespace mcsec::control
