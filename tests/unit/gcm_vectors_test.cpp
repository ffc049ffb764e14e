// Known-answer tests from "The Galois/Counter Mode of Operation (GCM)" (McGrew and Viega),
// test cases 1-4 (AES-128) and 13-16 (AES-256): the ones with a 96-bit IV, which is what
// RFC 4106 uses. Run through both backends.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcsec/crypto/aead.hpp"
#include "test_packets.hpp"

namespace mcsec::crypto {
namespace {

using mcsec::test::from_hex;
using mcsec::test::to_hex;

struct GcmVector {
    const char* name;
    const char* key;
    const char* plaintext;
    const char* aad;
    const char* iv;
    const char* ciphertext;
    const char* tag;
};

constexpr const char* kP3 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kP4 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr const char* kA4 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr const char* kIv3 = "cafebabefacedbaddecaf888";
constexpr const char* kZeroIv = "000000000000000000000000";

const GcmVector kVectors[] = {
    {"tc1", "00000000000000000000000000000000", "", "", kZeroIv, "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"tc2", "00000000000000000000000000000000", "00000000000000000000000000000000", "", kZeroIv,
     "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"},
    {"tc3", "feffe9928665731c6d6a8f9467308308", kP3, "", kIv3,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"tc4", "feffe9928665731c6d6a8f9467308308", kP4, kA4, kIv3,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"tc13", "0000000000000000000000000000000000000000000000000000000000000000", "", "", kZeroIv,
     "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"tc14", "0000000000000000000000000000000000000000000000000000000000000000",
     "00000000000000000000000000000000", "", kZeroIv, "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"tc15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", kP3, "", kIv3,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"tc16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", kP4, kA4, kIv3,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

class GcmVectorTest : public ::testing::TestWithParam<Backend> {};

TEST_P(GcmVectorTest, SealMatchesSpec) {
    auto engine = make_engine(GetParam());
    for (const GcmVector& v : kVectors) {
        SCOPED_TRACE(v.name);
        const auto key = from_hex(v.key);
        const auto algorithm =
            key.size() == 16 ? AeadAlgorithm::AesGcm128 : AeadAlgorithm::AesGcm256;
        auto k = engine->make_key(algorithm, key);
        ASSERT_TRUE(k);
        auto data = from_hex(v.plaintext);
        const auto aad = from_hex(v.aad);
        const auto iv = from_hex(v.iv);
        std::vector<uint8_t> tag(kGcmTagLen);
        AeadOp op{k.get(),     iv.data(),
                  aad.data(),  static_cast<uint32_t>(aad.size()),
                  data.data(), static_cast<uint32_t>(data.size()),
                  tag.data()};
        engine->seal({&op, 1});
        EXPECT_TRUE(op.ok);
        EXPECT_EQ(to_hex(data), v.ciphertext);
        EXPECT_EQ(to_hex(tag), v.tag);
    }
}

TEST_P(GcmVectorTest, OpenVerifiesAndRejectsEveryFlippedTagBit) {
    auto engine = make_engine(GetParam());
    for (const GcmVector& v : kVectors) {
        SCOPED_TRACE(v.name);
        const auto key = from_hex(v.key);
        const auto algorithm =
            key.size() == 16 ? AeadAlgorithm::AesGcm128 : AeadAlgorithm::AesGcm256;
        auto k = engine->make_key(algorithm, key);
        const auto aad = from_hex(v.aad);
        const auto iv = from_hex(v.iv);
        auto data = from_hex(v.ciphertext);
        auto tag = from_hex(v.tag);
        AeadOp op{k.get(),     iv.data(),
                  aad.data(),  static_cast<uint32_t>(aad.size()),
                  data.data(), static_cast<uint32_t>(data.size()),
                  tag.data()};
        engine->open({&op, 1});
        EXPECT_TRUE(op.ok);
        EXPECT_EQ(to_hex(data), v.plaintext);

        for (size_t bit = 0; bit < tag.size() * 8; bit += 13) {
            auto c = from_hex(v.ciphertext);
            auto t = from_hex(v.tag);
            t[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            AeadOp bad{k.get(),    iv.data(),
                       aad.data(), static_cast<uint32_t>(aad.size()),
                       c.data(),   static_cast<uint32_t>(c.size()),
                       t.data()};
            engine->open({&bad, 1});
            EXPECT_FALSE(bad.ok) << "tag bit " << bit;
        }
    }
}

TEST_P(GcmVectorTest, RejectsWrongKeyLength) {
    auto engine = make_engine(GetParam());
    std::vector<uint8_t> key(24);
    EXPECT_FALSE(engine->make_key(AeadAlgorithm::AesGcm128, key));
    EXPECT_FALSE(engine->make_key(AeadAlgorithm::AesGcm256, key));
}

// A burst larger than IPsec-MB's maximum burst, mixing key sizes, gives the same result as
// the reference backend packet by packet.
TEST(GcmBackends, LargeMixedBurstAgreesAcrossBackends) {
    auto mb = make_engine(Backend::IpsecMb);
    auto ossl = make_engine(Backend::OpenSsl);
    const auto k128 = from_hex("000102030405060708090a0b0c0d0e0f");
    const auto k256 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    auto mb128 = mb->make_key(AeadAlgorithm::AesGcm128, k128);
    auto mb256 = mb->make_key(AeadAlgorithm::AesGcm256, k256);
    auto os128 = ossl->make_key(AeadAlgorithm::AesGcm128, k128);
    auto os256 = ossl->make_key(AeadAlgorithm::AesGcm256, k256);
    constexpr size_t kOps = 300;
    std::vector<std::vector<uint8_t>> a(kOps), b(kOps), ta(kOps), tb(kOps), nonces(kOps);
    std::vector<AeadOp> opa(kOps), opb(kOps);
    const uint8_t aad[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (size_t i = 0; i < kOps; ++i) {
        a[i].resize(i * 7 % 1500);
        for (size_t j = 0; j < a[i].size(); ++j) a[i][j] = static_cast<uint8_t>(i + j);
        b[i] = a[i];
        ta[i].resize(16);
        tb[i].resize(16);
        nonces[i].assign(12, static_cast<uint8_t>(i));
        const bool big = i % 3 == 0;
        opa[i] = {big ? mb256.get() : mb128.get(),    nonces[i].data(), aad, 8, a[i].data(),
                  static_cast<uint32_t>(a[i].size()), ta[i].data()};
        opb[i] = {big ? os256.get() : os128.get(),    nonces[i].data(), aad, 8, b[i].data(),
                  static_cast<uint32_t>(b[i].size()), tb[i].data()};
    }
    mb->seal(opa);
    ossl->seal(opb);
    for (size_t i = 0; i < kOps; ++i) {
        ASSERT_TRUE(opa[i].ok && opb[i].ok);
        ASSERT_EQ(a[i], b[i]) << i;
        ASSERT_EQ(ta[i], tb[i]) << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, GcmVectorTest,
                         ::testing::Values(Backend::IpsecMb, Backend::OpenSsl),
                         [](const auto& test_info) {
                             return test_info.param == Backend::IpsecMb ? "IpsecMb" : "OpenSsl";
                         });

}  // namespace
}  // namespace mcsec::crypto
