#include "mcsec/esp/sad.hpp"

namespace mcsec::esp {

uint32_t SadKeyHash::operator()(const SadKey& k) const {
    // SPIs are allocated to be unique, so mixing the SPI with the address's last word
    // spreads keys well without hashing all 16 bytes.
    const uint64_t h = (uint64_t{k.spi} ^ k.destination.low_half()) * 0x9e3779b97f4a7c15ULL;
    return static_cast<uint32_t>(h >> 32);
}

}  // namespace mcsec::esp
