// The control plane's datagram channel on the black network: one UDP socket bound to the
// discovery port, joined to the discovery group on the black interface (the dataplane's
// exception TAP, named after the black port; a plain interface with --no-dataplane). IDP hellos
// and MIKE messages are multicast on it, registration messages unicast to a peer's black address
// on the same port; the first bytes of each message say which protocol it is.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mcsec/config/ip_address.hpp"

namespace mcsec::control {

class DiscoverySocket {
  public:
    // The datagram and its source address ("192.0.2.2"), which names the culprit in the alarm for
    // a datagram too broken to name its sender.
    // `arrived` is when the kernel received it (SO_TIMESTAMPNS, on the steady clock): under a
    // flood a hello may be read long after it arrived, and a peer must be judged by when its
    // hello came, not by how long the queue ahead of it was.
    using Handler = std::function<void(std::span<const std::uint8_t>, const std::string& source,
                                       std::chrono::steady_clock::time_point arrived)>;

    // Throws std::runtime_error naming the interface, group or port when the socket cannot be
    // set up (no such interface, group of the wrong family, port in use).
    DiscoverySocket(boost::asio::io_context& io, const std::string& interface,
                    const config::IpAddress& group, std::uint16_t port, Handler on_datagram);

    // Multicasts one datagram to the group; false (and counted) if the kernel refused it.
    bool send(std::span<const std::uint8_t> datagram);
    // Unicasts one datagram to `address` on the discovery port; false (and counted) if the
    // kernel refused it or the address is of the other family.
    bool send_to(const config::IpAddress& address, std::span<const std::uint8_t> datagram);
    std::uint64_t send_failures() const { return send_failures_; }
    // Hands at most `max` datagrams already queued in the kernel to the handler, without
    // waiting. The daemon calls it before judging peers dead: under a flood a peer's hello may
    // sit behind thousands of forged datagrams, and a peer is not dead while its hello is here.
    std::size_t drain(std::size_t max);
    // What the kernel granted for the receive buffer (kRequestedReceiveBuffer, or less where
    // net.core.rmem_max caps it and the process lacks CAP_NET_ADMIN).
    std::size_t receive_buffer_bytes() const { return receive_buffer_bytes_; }

    // Room for about a second of flood while the daemon waits for a CPU: what the kernel drops
    // before the admission stage runs is lost without a trace in our counters (4 MiB lost a
    // sixth of all datagrams in tests/integration/controld_flood_test.py on two cores).
    static constexpr int kRequestedReceiveBuffer = 16 << 20;  // ~1 s of a 15,000/s flood

  private:
    void receive();
    // Reads one queued datagram without waiting and hands it on; false when none is queued.
    bool read_one();

    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint group_endpoint_;
    Handler on_datagram_;
    std::vector<std::uint8_t> buffer_;
    std::uint64_t send_failures_ = 0;
    std::size_t receive_buffer_bytes_ = 0;
};

}  // namespace mcsec::control
