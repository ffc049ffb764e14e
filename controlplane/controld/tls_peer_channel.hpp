// The unicast channel between appliances that carries the red-prefix exchange
// (docs/protocol/idp.md, "Prefix exchange"): TCP on the discovery port of the black address,
// TLS 1.3 with mutual certificates under the deployment CA (identity/tls_context.hpp).
//
// Each node sends on connections it opens itself (one per peer, the client naming the server it
// expects) and receives on the ones peers open to it (the server learns the peer's node id from
// its certificate). Two connections per pair keep the roles simple: nobody has to decide who
// dials. Messages are framed by the control-plane header's length field: IDP prefix messages
// (magic "ID", up to 1,400 bytes) and LKH tree replicas between a group's senders ("LS", up to
// 65,535 bytes a frame; controlplane/lkh tree_replica.hpp). Everything runs on the daemon's
// io_context thread; nothing blocks, and no error leaves a handler: a failed connection is
// counted and dropped, and the next send dials again (the exchange re-announces every H).
#pragma once

#include <utility>  // boost/asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/identity/x509_credentials.hpp"

namespace mcsec::control {

struct TlsChannelCounters {
    std::uint64_t connects = 0;            // outbound TLS sessions established
    std::uint64_t accepts = 0;             // inbound TLS sessions established
    std::uint64_t handshake_failures = 0;  // either way: refused certificate, timeout, reset
    std::uint64_t connection_errors = 0;   // established sessions that failed later
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t malformed = 0;         // a frame header that does not parse: connection closed
    std::uint64_t dropped = 0;           // queued messages lost to a full queue or a failure
    std::uint64_t refused_inbound = 0;   // beyond kMaxInbound connections
    std::uint64_t replaced_inbound = 0;  // older connections of a peer that connected again
    std::uint64_t accept_errors = 0;     // accept() failed (descriptors, memory): paused
};

// What the channel refused, for the daemon's alarms. Timeouts, resets and closes are only
// counted: they are what a restarting peer or a lossy network looks like.
struct TlsRefusal {
    enum class Kind : std::uint8_t {
        CertificateRefused,  // the handshake failed in TLS itself: the peer's certificate was
                             // refused (foreign CA, expired, another node's name) or ours was
        MalformedFrame,      // bytes that are not our TLS, or an authenticated peer's frame
                             // that does not parse
    };
    Kind kind;
    std::string address;  // the remote IP address
    NodeId peer;         // the authenticated peer (MalformedFrame) or the one dialled; may be empty
    std::string detail;  // OpenSSL's reason, or what is wrong with the frame
};

class TlsPeerChannel {
  public:
    using Handler = std::function<void(const NodeId& tls_peer, std::span<const std::uint8_t>)>;
    using RefusalHandler = std::function<void(const TlsRefusal&)>;

    static constexpr std::size_t kMaxInbound = 256;  // one per peer is the normal case
    // The oldest goes first. Room for a replicated LKH tree of 10,000 receivers (about 14
    // chunks of 60 KB) several times over, besides the prefix messages.
    static constexpr std::size_t kMaxQueuedPerPeer = 256;
    static constexpr std::chrono::seconds kHandshakeTimeout{5};
    static constexpr std::chrono::milliseconds kAcceptErrorPause{100};

    // `interface`: the black interface to bind to (SO_BINDTODEVICE); empty for none (tests on
    // loopback). Throws std::runtime_error naming the address, port or interface if it cannot
    // listen.
    TlsPeerChannel(boost::asio::io_context& io,
                   std::shared_ptr<const identity::X509Credentials> credentials,
                   std::string interface, const config::IpAddress& listen_address,
                   std::uint16_t port, Handler on_message, RefusalHandler on_refusal = {});
    ~TlsPeerChannel();
    TlsPeerChannel(const TlsPeerChannel&) = delete;
    TlsPeerChannel& operator=(const TlsPeerChannel&) = delete;

    // Queues one framed message for `peer` at `address` (same port), dialling if needed.
    void send(const NodeId& peer, const config::IpAddress& address,
              std::vector<std::uint8_t> message);
    // Closes the outbound connection to `peer` (discovery reported it down).
    void forget(const NodeId& peer);
    // Closes everything; handlers still pending finish without effect.
    void stop();

    const TlsChannelCounters& counters() const noexcept { return counters_; }
    std::uint16_t port() const noexcept { return port_; }

  private:
    struct Outbound;
    struct Inbound;

    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(std::shared_ptr<Inbound> connection);
    boost::asio::awaitable<void> watch_outbound(std::shared_ptr<Outbound> link);
    boost::asio::awaitable<void> run_outbound(NodeId peer, std::shared_ptr<Outbound> link,
                                              boost::asio::ip::tcp::endpoint endpoint);
    boost::asio::ip::tcp::socket make_socket(const boost::asio::ip::tcp::endpoint& endpoint);
    void refuse(TlsRefusal refusal) const;

    boost::asio::io_context& io_;
    std::shared_ptr<const identity::X509Credentials> credentials_;
    std::string interface_;
    std::uint16_t port_;
    Handler on_message_;
    RefusalHandler on_refusal_;
    boost::asio::ssl::context server_context_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::map<NodeId, std::shared_ptr<Outbound>> outbound_;
    std::vector<std::weak_ptr<Inbound>> inbound_;
    TlsChannelCounters counters_;
    // Set by the destructor so coroutines resumed during io_context teardown touch nothing.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mcsec::control
