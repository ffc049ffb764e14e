// SPI allocation on the TM (seed 001, section 3.6: the key server defines the SPI of each
// multicast group). One allocator serves every group this node is TM of, so no two of its groups,
// and no two epochs of one group still in flight, share an SPI.
//
// The rule: a cursor walks 0x100..0xffffffff upwards (wrapping to 0x100) from a start the daemon
// draws at random, and each allocation takes the next value not in use. A released SPI is
// therefore not handed out again until the cursor has gone all the way round, which keeps an SA
// that is being retired from meeting its successor's SPI in a dataplane. The random start makes
// two TMs' sequences unlikely to overlap; when they do, a member that holds both groups reports
// SERVER_CONFLICT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "mcsec/config/ip_address.hpp"

namespace mcsec::control::registration {

struct SpiOwner {
    config::IpAddress group;
    std::uint64_t epoch = 0;

    friend bool operator==(const SpiOwner&, const SpiOwner&) = default;
    friend auto operator<=>(const SpiOwner&, const SpiOwner&) = default;
};

class SpiAllocator {
  public:
    static constexpr std::size_t kDefaultMaxInUse = 1u << 20;

    // `start` is where the cursor begins (values below 0x100 start at 0x100).
    explicit SpiAllocator(std::uint32_t start, std::size_t max_in_use = kDefaultMaxInUse);

    // A fresh SPI for `owner`, or the one it already holds. nullopt only when `max_in_use` SPIs
    // are taken.
    std::optional<std::uint32_t> allocate(const SpiOwner& owner);
    // Records `spi`, chosen elsewhere (MIKE derives each epoch's SPI from public data), as held by
    // `owner`, replacing what the owner held. False, and nothing changes, if another owner holds
    // it (or `max_in_use` SPIs are taken): the caller must pick another SPI.
    bool reserve(const SpiOwner& owner, std::uint32_t spi);
    void release(const SpiOwner& owner);
    // Releases every epoch of `group`.
    void release_group(const config::IpAddress& group);

    std::optional<std::uint32_t> spi_of(const SpiOwner& owner) const;
    std::optional<SpiOwner> owner_of(std::uint32_t spi) const;
    std::size_t in_use() const noexcept { return by_spi_.size(); }

  private:
    std::uint32_t advance(std::uint32_t spi) const noexcept;

    std::size_t max_in_use_;
    std::uint32_t cursor_;
    std::map<std::uint32_t, SpiOwner> by_spi_;
    std::map<SpiOwner, std::uint32_t> by_owner_;
};

}  // namespace mcsec::control::registration
