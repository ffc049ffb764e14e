#pragma once

// IP addresses and prefixes as the configuration sees them: parsed from text once, then compared
// and copied as plain values (no sockaddr, no heap).

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mcsec::config {

enum class AddressFamily : std::uint8_t { IPv4, IPv6 };

std::string_view to_string(AddressFamily family) noexcept;

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first four bytes and leaves the
// rest zero, so the defaulted comparisons never look at stale bytes.
class IpAddress {
  public:
    static constexpr std::size_t kMaxBytes = 16;

    IpAddress() = default;  // 0.0.0.0

    // Accepts exactly what inet_pton accepts: dotted-quad IPv4 or RFC 4291 IPv6 text, without
    // brackets or zone ids. Returns nullopt for anything else.
    static std::optional<IpAddress> parse(std::string_view text);

    static IpAddress from_v4(const std::array<std::uint8_t, 4>& bytes) noexcept;
    static IpAddress from_v6(const std::array<std::uint8_t, 16>& bytes) noexcept;

    AddressFamily family() const noexcept { return family_; }
    bool is_v4() const noexcept { return family_ == AddressFamily::IPv4; }
    bool is_v6() const noexcept { return family_ == AddressFamily::IPv6; }
    // 4 bytes for IPv4, 16 for IPv6.
    std::span<const std::uint8_t> bytes() const noexcept;
    // 32 or 128.
    unsigned bit_length() const noexcept { return is_v4() ? 32U : 128U; }

    // 224.0.0.0/4 or ff00::/8.
    bool is_multicast() const noexcept;
    // 0.0.0.0 or ::.
    bool is_unspecified() const noexcept;

    // Canonical text (inet_ntop), e.g. "239.1.1.1" or "ff3e::1:1".
    std::string to_string() const;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;
    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

  private:
    AddressFamily family_ = AddressFamily::IPv4;
    std::array<std::uint8_t, kMaxBytes> bytes_{};
};

// An address with a prefix length, e.g. "10.1.0.1/24". The address keeps its host bits: a port
// address names the host and its subnet at once; has_host_bits() lets selectors reject them.
class Prefix {
  public:
    Prefix() = default;  // 0.0.0.0/0

    // nullopt when `length` exceeds the family's bit length.
    static std::optional<Prefix> make(const IpAddress& address, unsigned length);

    // "address" (a host prefix, /32 or /128) or "address/length". On failure, `why` (when given)
    // receives a message for the operator.
    static std::optional<Prefix> parse(std::string_view text, std::string* why = nullptr);

    const IpAddress& address() const noexcept { return address_; }
    unsigned length() const noexcept { return length_; }
    AddressFamily family() const noexcept { return address_.family(); }

    // True when bits beyond `length` are set (10.1.0.1/24 has host bits, 10.1.0.0/24 has not).
    bool has_host_bits() const noexcept;
    // The same prefix with its host bits cleared.
    Prefix network() const noexcept;
    bool contains(const IpAddress& address) const noexcept;

    // Always "address/length".
    std::string to_string() const;

    friend bool operator==(const Prefix&, const Prefix&) = default;
    friend auto operator<=>(const Prefix&, const Prefix&) = default;

  private:
    IpAddress address_;
    std::uint8_t length_ = 0;
};

}  // namespace mcsec::config
