// The control plane's datagram channel on the black network: one UDP socket bound to the
// discovery port, joined to the discovery group on the black interface (the dataplane's
// exception TAP, named after the black port; a plain interface with --no-dataplane). IDP hellos
// and MIKE messages share it; the first bytes of each message say which protocol it is.
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
    using Handler = std::function<void(std::span<const std::uint8_t>)>;

    // Throws std::runtime_error naming the interface, group or port when the socket cannot be
    // set up (no such interface, group of the wrong family, port in use).
    DiscoverySocket(boost::asio::io_context& io, const std::string& interface,
                    const config::IpAddress& group, std::uint16_t port, Handler on_datagram);

    // Multicasts one datagram to the group; false (and counted) if the kernel refused it.
    bool send(std::span<const std::uint8_t> datagram);
    std::uint64_t send_failures() const { return send_failures_; }

  private:
    void receive();

    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint group_endpoint_;
    Handler on_datagram_;
    std::vector<std::uint8_t> buffer_;
    boost::asio::ip::udp::endpoint sender_;
    std::uint64_t send_failures_ = 0;
};

}  // namespace mcsec::control
