// SPI derivation for an epoch's SA.
#include <vector>

#include "mcsec/control/mike/hkdf.hpp"
#include "mcsec/control/mike/protocol/epoch_key.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"

namespace mcsec::control::mike {

Result<std::uint32_t> derive_spi(std::span<const std::uint8_t> group_id, std::uint64_t epoch,
                                 const TreeHash& tree_hash) {
    if (group_id.empty() || group_id.size() > kMaxGroupIdBytes) return MikeError::BadGroupId;
    std::vector<std::uint8_t> info;
    info.push_back(static_cast<std::uint8_t>(group_id.size()));
    info.insert(info.end(), group_id.begin(), group_id.end());
    for (int shift = 56; shift >= 0; shift -= 8) {
        info.push_back(static_cast<std::uint8_t>(epoch >> shift));
    }
    const std::span<const std::uint8_t> salt(
        reinterpret_cast<const std::uint8_t*>(kSpiLabel.data()), kSpiLabel.size());
    std::array<std::uint8_t, 4> out{};
    if (const MikeError error = hkdf_sha256(tree_hash, salt, info, out); error != MikeError::Ok) {
        return error;
    }
    const std::uint32_t x = (std::uint32_t{out[0]} << 24) | (std::uint32_t{out[1]} << 16) |
                            (std::uint32_t{out[2]} << 8) | std::uint32_t{out[3]};
    constexpr std::uint64_t kRange = (std::uint64_t{1} << 32) - kMinSpi;
    return static_cast<std::uint32_t>(kMinSpi + (x % kRange));
}

}  // namespace mcsec::control::mike
