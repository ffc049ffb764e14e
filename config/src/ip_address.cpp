#include "mcsec/config/ip_address.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "message_text.hpp"

namespace mcsec::config {
namespace {

// Longer than any valid IPv6 text (45 characters for an IPv4-mapped form); refusing longer input
// early keeps the copy for inet_pton bounded.
constexpr std::size_t kMaxAddressText = 64;

}  // namespace

std::string_view to_string(AddressFamily family) noexcept {
    return family == AddressFamily::IPv4 ? "IPv4" : "IPv6";
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
    // inet_pton needs a terminated string; an embedded NUL would otherwise cut the text short.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    const std::string terminated(text);

    IpAddress address;
    if (terminated.find(':') == std::string::npos) {
        if (inet_pton(AF_INET, terminated.c_str(), address.bytes_.data()) != 1) return std::nullopt;
        address.family_ = AddressFamily::IPv4;
    } else {
        if (inet_pton(AF_INET6, terminated.c_str(), address.bytes_.data()) != 1)
            return std::nullopt;
        address.family_ = AddressFamily::IPv6;
    }
    return address;
}

IpAddress IpAddress::from_v4(const std::array<std::uint8_t, 4>& bytes) noexcept {
    IpAddress address;
    address.family_ = AddressFamily::IPv4;
    std::copy(bytes.begin(), bytes.end(), address.bytes_.begin());
    return address;
}

IpAddress IpAddress::from_v6(const std::array<std::uint8_t, 16>& bytes) noexcept {
    IpAddress address;
    address.family_ = AddressFamily::IPv6;
    address.bytes_ = bytes;
    return address;
}

std::span<const std::uint8_t> IpAddress::bytes() const noexcept {
    return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
}

bool IpAddress::is_multicast() const noexcept {
    return is_v4() ? (bytes_[0] & 0xF0U) == 0xE0U : bytes_[0] == 0xFFU;
}

bool IpAddress::is_unspecified() const noexcept {
    const auto view = bytes();
    return std::all_of(view.begin(), view.end(), [](std::uint8_t byte) { return byte == 0; });
}

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    const int family = is_v4() ? AF_INET : AF_INET6;
    if (inet_ntop(family, bytes_.data(), text, sizeof text) == nullptr) return "?";
    return text;
}

std::optional<Prefix> Prefix::make(const IpAddress& address, unsigned length) {
    if (length > address.bit_length()) return std::nullopt;
    Prefix prefix;
    prefix.address_ = address;
    prefix.length_ = static_cast<std::uint8_t>(length);
    return prefix;
}

std::optional<Prefix> Prefix::parse(std::string_view text, std::string* why) {
    const auto fail = [why](std::string message) -> std::optional<Prefix> {
        if (why != nullptr) *why = std::move(message);
        return std::nullopt;
    };

    const auto slash = text.find('/');
    const auto address_text = text.substr(0, slash);
    const auto address = IpAddress::parse(address_text);
    if (!address) return fail(quote_for_message(address_text) + " is not an IPv4 or IPv6 address");
    if (slash == std::string_view::npos) return make(*address, address->bit_length());

    const auto length_text = text.substr(slash + 1);
    unsigned length = 0;
    const auto* const end = length_text.data() + length_text.size();
    const auto [stop, error] = std::from_chars(length_text.data(), end, length);
    const std::string range = std::string(mcsec::config::to_string(address->family())) +
                              " allows 0.." + std::to_string(address->bit_length());
    if (length_text.empty() || error != std::errc{} || stop != end)
        return fail(quote_for_message(length_text) + " is not a prefix length (" + range + ")");
    if (length > address->bit_length())
        return fail("prefix length " + std::to_string(length) + " is too long (" + range + ")");
    return make(*address, length);
}

bool Prefix::has_host_bits() const noexcept {
    return network() != *this;
}

Prefix Prefix::network() const noexcept {
    std::array<std::uint8_t, IpAddress::kMaxBytes> masked{};
    const auto view = address_.bytes();
    std::copy(view.begin(), view.end(), masked.begin());
    for (std::size_t bit = length_; bit < view.size() * 8; ++bit) {
        masked[bit / 8] =
            static_cast<std::uint8_t>(masked[bit / 8] & ~(0x80U >> static_cast<unsigned>(bit % 8)));
    }
    Prefix result = *this;
    if (address_.is_v4()) {
        result.address_ = IpAddress::from_v4({masked[0], masked[1], masked[2], masked[3]});
    } else {
        result.address_ = IpAddress::from_v6(masked);
    }
    return result;
}

bool Prefix::contains(const IpAddress& address) const noexcept {
    if (address.family() != address_.family()) return false;
    const auto candidate = make(address, length_);
    return candidate && candidate->network().address_ == network().address_;
}

std::string Prefix::to_string() const {
    return address_.to_string() + "/" + std::to_string(length_);
}

}  // namespace mcsec::config
