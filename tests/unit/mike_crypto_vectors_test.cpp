// Known-answer tests for the primitives (RFC 5869 HKDF-SHA256, RFC 7748 X25519) and for the
// whole MIKE derivation chain against an independent implementation (pyca/cryptography and
// Python's hmac/hashlib; the script's steps are spelled out above the expected values).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcsec/control/mike/derivations.hpp"
#include "mcsec/control/mike/hkdf.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/tree_member.hpp"
#include "mcsec/control/mike/x25519.hpp"
#include "mike_test_group.hpp"

namespace mcsec::control::mike {
namespace {

using testing::as_bytes;
using testing::must;

std::vector<std::uint8_t> hex(std::string_view text) {
    EXPECT_EQ(text.size() % 2, 0u) << "odd-length hex literal";
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        out.push_back(
            static_cast<std::uint8_t>(std::stoul(std::string(text.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

X25519PublicKey key32(std::string_view text) {
    const std::vector<std::uint8_t> bytes = hex(text);
    X25519PublicKey key{};
    std::copy(bytes.begin(), bytes.end(), key.begin());
    return key;
}

X25519PrivateKey private_key(std::string_view text) {
    const X25519PublicKey raw = key32(text);
    return must(X25519PrivateKey::from_bytes(raw), "from_bytes");
}

std::vector<std::uint8_t> to_vector(std::span<const std::uint8_t> bytes) {
    return {bytes.begin(), bytes.end()};
}

TEST(MikeHkdf, Rfc5869TestCase1) {
    const std::vector<std::uint8_t> ikm(22, 0x0b);
    const auto salt = hex("000102030405060708090a0b0c");
    const auto info = hex("f0f1f2f3f4f5f6f7f8f9");
    std::vector<std::uint8_t> okm(42);
    ASSERT_EQ(hkdf_sha256(ikm, salt, info, okm), MikeError::Ok);
    EXPECT_EQ(okm, hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                       "34007208d5b887185865"));
}

TEST(MikeHkdf, Rfc5869TestCase3EmptySaltAndInfo) {
    const std::vector<std::uint8_t> ikm(22, 0x0b);
    std::vector<std::uint8_t> okm(42);
    ASSERT_EQ(hkdf_sha256(ikm, {}, {}, okm), MikeError::Ok);
    EXPECT_EQ(okm, hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                       "9d201395faa4b61a96c8"));
}

TEST(MikeHkdf, RejectsOutputLongerThanRfcLimit) {
    const std::vector<std::uint8_t> ikm(32, 1);
    std::vector<std::uint8_t> okm(255 * 32 + 1);
    EXPECT_EQ(hkdf_sha256(ikm, {}, {}, okm), MikeError::CryptoFailure);
    std::vector<std::uint8_t> empty;
    EXPECT_EQ(hkdf_sha256(ikm, {}, {}, empty), MikeError::CryptoFailure);
}

TEST(MikeX25519, Rfc7748Section61DiffieHellman) {
    const X25519PrivateKey alice =
        private_key("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const X25519PrivateKey bob =
        private_key("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    EXPECT_EQ(alice.public_key(),
              key32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
    EXPECT_EQ(bob.public_key(),
              key32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
    const auto expected = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    X25519SharedSecret alice_side;
    X25519SharedSecret bob_side;
    ASSERT_EQ(alice.agree(bob.public_key(), alice_side), MikeError::Ok);
    ASSERT_EQ(bob.agree(alice.public_key(), bob_side), MikeError::Ok);
    EXPECT_EQ(to_vector(alice_side.view()), expected);
    EXPECT_EQ(to_vector(bob_side.view()), expected);
}

// RFC 7748 section 5.2: single scalar multiplications with arbitrary u-coordinates, a second,
// independent source for the same primitive.
TEST(MikeX25519, Rfc7748Section52ScalarMultiplication) {
    struct Vector {
        const char* scalar;
        const char* u;
        const char* result;
    };
    const Vector vectors[] = {
        {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
        {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
    };
    for (const Vector& v : vectors) {
        X25519SharedSecret out;
        ASSERT_EQ(private_key(v.scalar).agree(key32(v.u), out), MikeError::Ok);
        EXPECT_EQ(to_vector(out.view()), hex(v.result));
    }
}

TEST(MikeX25519, RejectsLowOrderPoints) {
    X25519PrivateKey key = must(X25519PrivateKey::generate(), "generate");
    // u = 0 and u = 1 are of order 4 and 1: every scalar gives the all-zero secret.
    for (const char* u : {"0000000000000000000000000000000000000000000000000000000000000000",
                          "0100000000000000000000000000000000000000000000000000000000000000"}) {
        X25519SharedSecret out;
        EXPECT_EQ(key.agree(key32(u), out), MikeError::LowOrderPoint) << u;
        EXPECT_TRUE(out.is_all_zero());
    }
}

TEST(MikeX25519, GeneratedKeysDifferAndAgree) {
    const X25519PrivateKey a = must(X25519PrivateKey::generate(), "generate");
    const X25519PrivateKey b = must(X25519PrivateKey::generate(), "generate");
    EXPECT_NE(a.public_key(), b.public_key());
    X25519SharedSecret ab;
    X25519SharedSecret ba;
    ASSERT_EQ(a.agree(b.public_key(), ab), MikeError::Ok);
    ASSERT_EQ(b.agree(a.public_key(), ba), MikeError::Ok);
    EXPECT_EQ(to_vector(ab.view()), to_vector(ba.view()));
}

// A two-member group with fixed leaf secrets 01..20 (alpha) and 65..84 (bravo), computed
// independently in Python from docs/protocol/mike-key-tree.md:
//   dh   = X25519(bravo, alpha_pub); root = HKDF(dh, salt "mcsec MIKE v1 node secret",
//          info alpha_pub || bravo_pub, 32)
//   hash = SHA-256("mcsec MIKE v1 tree hash" || encoding of the epoch-2 tree)
//   key  = HKDF(root, salt "mcsec MIKE v1 group key", info label || u16 len || "ff3e::8000:1"
//          || u64 2 || u8 transform || hash, 36 or 20)
TEST(MikeDerivations, IndependentImplementationAgrees) {
    std::array<std::uint8_t, 32> alpha_raw{};
    std::array<std::uint8_t, 32> bravo_raw{};
    for (std::size_t i = 0; i < 32; ++i) {
        alpha_raw[i] = static_cast<std::uint8_t>(1 + i);
        bravo_raw[i] = static_cast<std::uint8_t>(101 + i);
    }
    TreeMember alpha = must(TreeMember::with_leaf_secret(
                                "alpha", must(X25519PrivateKey::from_bytes(alpha_raw), "alpha")),
                            "member");
    X25519PrivateKey bravo_secret = must(X25519PrivateKey::from_bytes(bravo_raw), "bravo");

    KeyTree tree;
    ASSERT_TRUE(tree.join("alpha", alpha.leaf_public_key()));
    ASSERT_TRUE(tree.join("bravo", bravo_secret.public_key()));
    // Bravo's path computed with its fixed secret (TreeMember::sponsor would refresh it).
    const NodeIndex bravo_leaf = *tree.find_leaf("bravo");
    PathSecrets path = must(compute_path(tree, bravo_leaf, bravo_secret), "path");
    ASSERT_EQ(tree.apply_path_update({"bravo", tree.epoch(), path.blinded_keys}), MikeError::Ok);
    EXPECT_EQ(tree.nodes()[0].blinded_key,
              key32("5f51bbb1422c3fdf44d78317c484341bbbd1253d596c79da02e9aae39ec2e12e"));

    const TreeHash hash = must(tree_hash(tree), "hash");
    EXPECT_EQ(to_vector(hash),
              hex("dbd8a0732bb50f37b360dea949f79069ddcf3b351b7b9fca9134effa86a27678"));

    const GroupKey key256 = must(
        alpha.group_key(tree, as_bytes("ff3e::8000:1"), config::Transform::AesGcm256), "key256");
    EXPECT_EQ(key256.epoch, 2u);
    EXPECT_EQ(to_vector(key256.key_and_salt.view()),
              hex("241c5ae934671014b59e093b524abf82e98ad4096b04d1eed047dbd53895dd0d1b1df9f0"));
    const GroupKey key128 = must(
        alpha.group_key(tree, as_bytes("ff3e::8000:1"), config::Transform::AesGcm128), "key128");
    EXPECT_EQ(to_vector(key128.key_and_salt.view()),
              hex("cc5914fae4e24f993d9622f964546368fdd5c0fc"));
}

}  // namespace
}  // namespace mcsec::control::mike
