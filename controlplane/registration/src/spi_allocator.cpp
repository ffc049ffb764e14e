#include "mcsec/control/registration/spi_allocator.hpp"

#include <limits>

#include "mcsec/control/registration/wire_format.hpp"

namespace mcsec::control::registration {

SpiAllocator::SpiAllocator(std::uint32_t start, std::size_t max_in_use)
    : max_in_use_(max_in_use), cursor_(start < kMinSpi ? kMinSpi : start) {}

std::uint32_t SpiAllocator::advance(std::uint32_t spi) const noexcept {
    return spi == std::numeric_limits<std::uint32_t>::max() ? kMinSpi : spi + 1;
}

std::optional<std::uint32_t> SpiAllocator::allocate(const SpiOwner& owner) {
    if (const auto held = by_owner_.find(owner); held != by_owner_.end()) return held->second;
    if (by_spi_.size() >= max_in_use_) return std::nullopt;
    // max_in_use_ is far below the 2^32 - 256 values, so this finds a free one after skipping at
    // most max_in_use_ taken ones.
    while (by_spi_.contains(cursor_)) cursor_ = advance(cursor_);
    const std::uint32_t spi = cursor_;
    cursor_ = advance(cursor_);
    by_spi_.emplace(spi, owner);
    by_owner_.emplace(owner, spi);
    return spi;
}

bool SpiAllocator::reserve(const SpiOwner& owner, std::uint32_t spi) {
    if (const auto holder = by_spi_.find(spi); holder != by_spi_.end()) {
        return holder->second == owner;
    }
    if (!by_owner_.contains(owner) && by_spi_.size() >= max_in_use_) return false;
    release(owner);
    by_spi_.emplace(spi, owner);
    by_owner_.emplace(owner, spi);
    return true;
}

void SpiAllocator::release(const SpiOwner& owner) {
    const auto held = by_owner_.find(owner);
    if (held == by_owner_.end()) return;
    by_spi_.erase(held->second);
    by_owner_.erase(held);
}

void SpiAllocator::release_group(const config::IpAddress& group) {
    for (auto it = by_owner_.begin(); it != by_owner_.end();) {
        if (it->first.group == group) {
            by_spi_.erase(it->second);
            it = by_owner_.erase(it);
        } else {
            ++it;
        }
    }
}

std::optional<std::uint32_t> SpiAllocator::spi_of(const SpiOwner& owner) const {
    const auto held = by_owner_.find(owner);
    if (held == by_owner_.end()) return std::nullopt;
    return held->second;
}

std::optional<SpiOwner> SpiAllocator::owner_of(std::uint32_t spi) const {
    const auto found = by_spi_.find(spi);
    if (found == by_spi_.end()) return std::nullopt;
    return found->second;
}

}  // namespace mcsec::control::registration
