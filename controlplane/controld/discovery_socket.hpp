// The control plane's datagram channel on the black network: one UDP socket bound to the
// discovery port, joined to the discovery group on the black interface (the dataplane's
// exception TAP, named after the black port; a plain interface with --no-dataplane). IDP hellos
// and MIKE messages are multicast on it, registration messages unicast to a peer's black address
// on the same port; the first bytes of each message say which protocol it is.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
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
    using Handler = std::function<void(std::span<const std::uint8_t>, const std::string& source)>;

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
    // What the kernel granted for the receive buffer (kRequestedReceiveBuffer, or less where
    // net.core.rmem_max caps it and the process lacks CAP_NET_ADMIN).
    std::size_t receive_buffer_bytes() const { return receive_buffer_bytes_; }

    // Room for a burst of some thousands of datagrams while the daemon is busy: what the kernel
    // drops before the admission stage runs is lost without a trace in our counters.
    static constexpr int kRequestedReceiveBuffer = 4 << 20;

  private:
    void receive();

    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint group_endpoint_;
    Handler on_datagram_;
    std::vector<std::uint8_t> buffer_;
    boost::asio::ip::udp::endpoint sender_;
    std::uint64_t send_failures_ = 0;
    std::size_t receive_buffer_bytes_ = 0;
};

}  // namespace mcsec::control
