// AES key wrap against the RFCs' own vectors (RFC 3394 section 4, RFC 5649 section 6; the same
// outputs come from python3-cryptography's aes_key_wrap*), and its integrity checks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcsec/control/lkh/key_wrap.hpp"

namespace mcsec::control::lkh {
namespace {

std::vector<std::uint8_t> hex(const std::string& text) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
    }
    return out;
}

TEST(LkhKeyWrap, Rfc3394Vector128BitKekAnd128BitKey) {
    const auto wrapped =
        wrap_key(hex("000102030405060708090A0B0C0D0E0F"), hex("00112233445566778899AABBCCDDEEFF"));
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(*wrapped, hex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"));
}

TEST(LkhKeyWrap, Rfc3394Vector256BitKekAnd256BitKey) {
    const auto kek = hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    const auto key = hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
    const auto expected =
        hex("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21");
    const auto wrapped = wrap_key(kek, key);
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(*wrapped, expected);
    const auto plain = unwrap_key(kek, expected);
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, key);
}

TEST(LkhKeyWrap, Rfc5649VectorsWithPadding) {
    const auto kek = hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
    const auto twenty = hex("c37b7e6492584340bed12207808941155068f738");
    const auto seven = hex("466f7250617369");
    EXPECT_EQ(wrap_key_padded(kek, twenty),
              hex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"));
    EXPECT_EQ(wrap_key_padded(kek, seven), hex("afbeb0f07dfbf5419200f2ccb50bb24f"));
    EXPECT_EQ(unwrap_key_padded(
                  kek, hex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")),
              twenty);
    EXPECT_EQ(padded_wrap_size(20), 32u);
    EXPECT_EQ(padded_wrap_size(36), 48u);
}

TEST(LkhKeyWrap, AlteredBytesOrAnotherKeyFailTheIntegrityCheck) {
    const auto kek = hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    auto other = kek;
    other[31] ^= 1;
    const auto key = hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
    const auto wrapped = wrap_key(kek, key);
    ASSERT_TRUE(wrapped);
    EXPECT_FALSE(unwrap_key(other, *wrapped));
    for (std::size_t i = 0; i < wrapped->size(); ++i) {
        auto altered = *wrapped;
        altered[i] ^= 0x80;
        EXPECT_FALSE(unwrap_key(kek, altered)) << "byte " << i;
    }
    const auto tek = wrap_key_padded(kek, std::vector<std::uint8_t>(36, 7));
    ASSERT_TRUE(tek);
    EXPECT_FALSE(unwrap_key_padded(other, *tek));
    // The two modes do not open each other's output (different integrity values).
    EXPECT_FALSE(unwrap_key(kek, *tek));
}

TEST(LkhKeyWrap, SizesTheRfcsDoNotAllowAreRefused) {
    const std::vector<std::uint8_t> kek(32, 1);
    EXPECT_FALSE(wrap_key(std::vector<std::uint8_t>(20, 1), std::vector<std::uint8_t>(16, 2)));
    EXPECT_FALSE(wrap_key(kek, std::vector<std::uint8_t>(8, 2)));   // one block: RFC 5649 only
    EXPECT_FALSE(wrap_key(kek, std::vector<std::uint8_t>(20, 2)));  // not a multiple of 8
    EXPECT_FALSE(wrap_key(kek, {}));
    EXPECT_FALSE(unwrap_key(kek, std::vector<std::uint8_t>(16, 2)));
    EXPECT_FALSE(unwrap_key_padded(kek, std::vector<std::uint8_t>(12, 2)));
    EXPECT_TRUE(wrap_key_padded(kek, std::vector<std::uint8_t>(1, 2)));
}

}  // namespace
}  // namespace mcsec::control::lkh
