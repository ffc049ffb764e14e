// Shared helpers of the IDP tests: a simulated timeline and ready-made hellos.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "idp_test_authenticator.hpp"
#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/timing.hpp"

namespace mcsec::control::idp::test {

using namespace std::chrono_literals;

// An arbitrary origin far from the clock's epoch, so that "before the first hello" exists.
inline const TimePoint kT0 = TimePoint{} + 1h;
inline const WallTime kWallNow = WallTime{} + std::chrono::hours(24 * 365 * 55);
inline constexpr Duration kH = 1000ms;

inline config::IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return config::IpAddress::from_v4({a, b, c, d});
}

// A hello from `signer`, signed by it.
inline std::vector<std::uint8_t> signed_hello(const TestAuthenticator& signer,
                                              std::uint64_t startup_timestamp,
                                              std::uint64_t sequence,
                                              config::IpAddress address = v4(192, 0, 2, 1),
                                              std::vector<std::string> groups = {}) {
    const Hello hello{signer.node_id(),  address,
                      startup_timestamp, sequence,
                      std::move(groups), {signer.credential().begin(), signer.credential().end()}};
    return encode_hello(hello, signer);
}

}  // namespace mcsec::control::idp::test
