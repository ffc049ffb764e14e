#include "discovery_socket.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/multicast.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace mcsec::control {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

// Large enough for any control message (the kernel fragments what the black MTU cannot carry).
constexpr std::size_t kMaxDatagram = 65535;

void check(int rc, const std::string& what) {
    if (rc != 0) throw std::runtime_error(what + ": " + std::strerror(errno));
}

// SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN (controld runs as root); without
// it SO_RCVBUF is capped there. Linux reports twice what it reserves for data (its bookkeeping
// overhead), so the granted size is half of what getsockopt says.
std::size_t raise_receive_buffer(int fd, int wanted) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &wanted, sizeof wanted) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wanted, sizeof wanted);
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length) != 0) return 0;
    const auto bytes = static_cast<std::size_t>(granted) / 2;
    if (bytes < static_cast<std::size_t>(wanted)) {
        std::fprintf(stderr,
                     "mcsec-controld: warning: the discovery socket's receive buffer is %zu "
                     "bytes, not the %d asked for (net.core.rmem_max caps it): a burst of "
                     "datagrams may be dropped by the kernel before admission\n",
                     bytes, wanted);
    }
    return bytes;
}

}  // namespace

DiscoverySocket::DiscoverySocket(asio::io_context& io, const std::string& interface,
                                 const config::IpAddress& group, std::uint16_t port,
                                 Handler on_datagram)
    : socket_(io), on_datagram_(std::move(on_datagram)), buffer_(kMaxDatagram) {
    const unsigned ifindex = if_nametoindex(interface.c_str());
    if (ifindex == 0) {
        throw std::runtime_error("black interface '" + interface +
                                 "' does not exist (is mcsec-dataplane running with "
                                 "exception_path = \"tap\"?)");
    }
    const auto address = asio::ip::make_address(group.to_string());
    group_endpoint_ = udp::endpoint(address, port);
    socket_.open(address.is_v4() ? udp::v4() : udp::v6());
    socket_.set_option(asio::socket_base::reuse_address(true));
    const int fd = socket_.native_handle();
    receive_buffer_bytes_ = raise_receive_buffer(fd, kRequestedReceiveBuffer);
    const int on = 1;
    check(setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on), "receive timestamps");
    // Only the black interface: the control plane never listens on anything else.
    check(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
                     static_cast<socklen_t>(interface.size())),
          "bind to " + interface);
    boost::system::error_code ec;
    socket_.bind(udp::endpoint(address.is_v4() ? udp::v4() : udp::v6(), port), ec);
    if (ec) throw std::runtime_error("UDP port " + std::to_string(port) + ": " + ec.message());
    const int off = 0, hops = 16;
    if (address.is_v4()) {
        ip_mreqn join{};
        std::memcpy(&join.imr_multiaddr, group.bytes().data(), 4);
        join.imr_ifindex = static_cast<int>(ifindex);
        check(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join),
              "join " + group.to_string() + " on " + interface);
        ip_mreqn out{};
        out.imr_ifindex = static_cast<int>(ifindex);
        check(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof out), "multicast if");
        check(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off), "loop");
        check(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &hops, sizeof hops), "ttl");
    } else {
        ipv6_mreq join{};
        std::memcpy(&join.ipv6mr_multiaddr, group.bytes().data(), 16);
        join.ipv6mr_interface = ifindex;
        check(setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &join, sizeof join),
              "join " + group.to_string() + " on " + interface);
        check(setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex), "if");
        check(setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off), "loop");
        check(setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops), "hops");
    }
    receive();
}

bool DiscoverySocket::send(std::span<const std::uint8_t> datagram) {
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(datagram.data(), datagram.size()), group_endpoint_, 0, ec);
    if (ec) ++send_failures_;
    return !ec;
}

bool DiscoverySocket::send_to(const config::IpAddress& address,
                              std::span<const std::uint8_t> datagram) {
    boost::system::error_code ec;
    const auto destination = asio::ip::make_address(address.to_string(), ec);
    if (!ec && destination.is_v4() == group_endpoint_.address().is_v4()) {
        socket_.send_to(asio::buffer(datagram.data(), datagram.size()),
                        udp::endpoint(destination, group_endpoint_.port()), 0, ec);
    } else if (!ec) {
        ec = asio::error::address_family_not_supported;
    }
    if (ec) ++send_failures_;
    return !ec;
}

std::size_t DiscoverySocket::drain(std::size_t max) {
    std::size_t handed = 0;
    while (handed < max && read_one()) ++handed;
    return handed;
}

bool DiscoverySocket::read_one() {
    sockaddr_storage from{};
    iovec vector{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(socket_.native_handle(), &message, MSG_DONTWAIT);
    if (n < 0) return errno == EINTR;  // EAGAIN: nothing queued
    const auto now = std::chrono::steady_clock::now();
    auto arrived = now;
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec stamp{};
        std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        // The kernel stamps with the realtime clock; how long ago is what carries over.
        const auto received = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::seconds(stamp.tv_sec) + std::chrono::nanoseconds(stamp.tv_nsec)));
        const auto age = std::chrono::system_clock::now() - received;
        if (age > std::chrono::system_clock::duration::zero() && age < std::chrono::seconds(60)) {
            arrived = now - std::chrono::duration_cast<std::chrono::steady_clock::duration>(age);
        }
    }
    char text[INET6_ADDRSTRLEN] = {};
    if (from.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(from).sin_addr, text, sizeof text);
    } else if (from.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(from).sin6_addr, text,
                  sizeof text);
    }
    on_datagram_({buffer_.data(), static_cast<std::size_t>(n)}, text, arrived);
    return true;
}

void DiscoverySocket::receive() {
    socket_.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
        if (ec == asio::error::operation_aborted) return;
        // A bounded batch per wake-up, so timers still run while a flood keeps the queue full.
        drain(256);
        receive();
    });
}

}  // namespace mcsec::control
