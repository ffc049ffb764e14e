#include "mcsec/control/mike/derivations.hpp"

#include <openssl/evp.h>

#include <memory>
#include <vector>

#include "mcsec/control/mike/hkdf.hpp"
#include "mcsec/control/mike/tree_codec.hpp"

namespace mcsec::control::mike {

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

void append_be(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

std::uint8_t transform_code(config::Transform transform) {
    return transform == config::Transform::AesGcm128 ? 1 : 2;
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Result<X25519PrivateKey> derive_node_secret(const X25519SharedSecret& dh,
                                            const X25519PublicKey& left_blinded_key,
                                            const X25519PublicKey& right_blinded_key) {
    // The info orders the children left then right, so both children's sides (who compute the
    // same DH value from opposite ends) bind the same position in the tree.
    std::array<std::uint8_t, 2 * kX25519KeyBytes> info{};
    std::copy(left_blinded_key.begin(), left_blinded_key.end(), info.begin());
    std::copy(right_blinded_key.begin(), right_blinded_key.end(), info.begin() + kX25519KeyBytes);
    SecretArray<kX25519KeyBytes> secret;
    if (const MikeError error =
            hkdf_sha256(dh.view(), bytes_of(kNodeSecretLabel), info, secret.writable());
        error != MikeError::Ok) {
        return error;
    }
    return X25519PrivateKey::from_bytes(secret.view());
}

Result<TreeHash> tree_hash(const KeyTree& tree) {
    const std::vector<std::uint8_t> encoding = serialize_tree(tree);
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    TreeHash hash{};
    unsigned int length = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), kTreeHashLabel.data(), kTreeHashLabel.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), encoding.data(), encoding.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), hash.data(), &length) != 1 || length != hash.size()) {
        return MikeError::CryptoFailure;
    }
    return hash;
}

Result<GroupKey> derive_group_key(const X25519PrivateKey& root_secret,
                                  std::span<const std::uint8_t> group_id, std::uint64_t epoch,
                                  const TreeHash& tree_hash, config::Transform transform) {
    // The group id's length goes first so that no (group id, epoch) pair can be re-read as
    // another; group ids longer than 64 KiB are not addresses and are refused.
    if (group_id.size() > 0xFFFF) return MikeError::BadGroupId;
    std::vector<std::uint8_t> info(kGroupKeyLabel.begin(), kGroupKeyLabel.end());
    append_be(info, group_id.size(), 2);
    info.insert(info.end(), group_id.begin(), group_id.end());
    append_be(info, epoch, 8);
    info.push_back(transform_code(transform));
    info.insert(info.end(), tree_hash.begin(), tree_hash.end());

    SecretArray<kX25519KeyBytes> ikm;
    if (const MikeError error = root_secret.export_secret(ikm); error != MikeError::Ok) {
        return error;
    }
    SecretArray<config::SecretBytes::kCapacity> okm;
    const std::size_t length = config::aes_key_bytes(transform) + config::kGcmSaltBytes;
    if (const MikeError error =
            hkdf_sha256(ikm.view(), bytes_of(kGroupKeyLabel), info, okm.writable().first(length));
        error != MikeError::Ok) {
        return error;
    }
    GroupKey key;
    key.epoch = epoch;
    key.transform = transform;
    for (std::size_t i = 0; i < length; ++i) key.key_and_salt.push_back(okm.view()[i]);
    return key;
}

}  // namespace mcsec::control::mike
