#include "kernel_interface.hpp"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace mcsec::dataplane {

namespace {

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

bool set_link(const std::string& ifname, uint16_t mtu, std::string& error) {
    Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq req{};
    std::strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    req.ifr_mtu = mtu;
    if (sock.get() < 0 || ioctl(sock.get(), SIOCSIFMTU, &req) != 0) {
        error = "set MTU " + std::to_string(mtu) + ": " + std::strerror(errno);
        return false;
    }
    if (ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0) {
        error = std::string("read flags: ") + std::strerror(errno);
        return false;
    }
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
    if (ioctl(sock.get(), SIOCSIFFLAGS, &req) != 0) {
        error = std::string("set link up: ") + std::strerror(errno);
        return false;
    }
    return true;
}

// Addresses are usable at once: the black network is configured, not autoconfigured, and
// duplicate address detection would hold the control plane's IPv6 sockets back a second.
void skip_dad(const std::string& ifname) {
    std::ofstream("/proc/sys/net/ipv6/conf/" + ifname + "/accept_dad") << "0\n";
}

bool add_address(int netlink, unsigned ifindex, const config::Prefix& prefix, std::string& error) {
    struct Request {
        nlmsghdr header;
        ifaddrmsg message;
        alignas(NLMSG_ALIGNTO) unsigned char attributes[64];
    } request{};
    const auto bytes = prefix.address().bytes();
    request.header.nlmsg_type = RTM_NEWADDR;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    request.header.nlmsg_seq = 1;
    request.message.ifa_family = prefix.address().is_v4() ? AF_INET : AF_INET6;
    request.message.ifa_prefixlen = static_cast<unsigned char>(prefix.length());
    request.message.ifa_flags = IFA_F_NODAD;
    request.message.ifa_index = ifindex;
    size_t length = NLMSG_LENGTH(sizeof(ifaddrmsg));
    for (const unsigned short type : {IFA_LOCAL, IFA_ADDRESS}) {
        auto* attribute = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&request) + length);
        attribute->rta_type = type;
        attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(bytes.size()));
        std::memcpy(RTA_DATA(attribute), bytes.data(), bytes.size());
        length += RTA_ALIGN(attribute->rta_len);
    }
    request.header.nlmsg_len = static_cast<uint32_t>(length);
    if (send(netlink, &request, length, 0) < 0) {
        error = "add address " + prefix.to_string() + ": " + std::strerror(errno);
        return false;
    }
    alignas(nlmsghdr) char reply[512];
    const ssize_t got = recv(netlink, reply, sizeof reply, 0);
    const auto* header = reinterpret_cast<const nlmsghdr*>(reply);
    if (got < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) ||
        header->nlmsg_type != NLMSG_ERROR) {
        error = "add address " + prefix.to_string() + ": no answer from the kernel";
        return false;
    }
    const int code =
        reinterpret_cast<const nlmsgerr*>(reply + NLMSG_HDRLEN)->error;  // NLMSG_DATA, cast-free
    if (code != 0) {
        error = "add address " + prefix.to_string() + ": " + std::strerror(-code);
        return false;
    }
    return true;
}

}  // namespace

bool configure_kernel_interface(const std::string& ifname,
                                const std::vector<config::Prefix>& addresses, uint16_t mtu,
                                std::string& error) {
    const unsigned ifindex = if_nametoindex(ifname.c_str());
    std::string why;
    if (ifindex == 0) {
        why = "no such interface";
    } else if (set_link(ifname, mtu, why)) {
        skip_dad(ifname);
        Fd netlink(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
        if (netlink.get() < 0) why = std::string("netlink: ") + std::strerror(errno);
        for (const auto& prefix : addresses) {
            if (!why.empty() || !add_address(netlink.get(), ifindex, prefix, why)) break;
        }
    }
    if (why.empty()) return true;
    error = "exception interface " + ifname + ": " + why;
    return false;
}

}  // namespace mcsec::dataplane
