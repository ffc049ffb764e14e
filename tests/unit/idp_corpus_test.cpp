// The fuzz seed corpora hold valid messages only (tests/fuzz/make_idp_seeds.cpp writes them):
// a seed that stopped parsing would silently weaken the fuzzers' starting point.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/prefix_messages.hpp"

namespace mcsec::control::idp::test {
namespace {

std::vector<std::vector<std::uint8_t>> read_corpus(const char* directory) {
    std::vector<std::vector<std::uint8_t>> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        std::ifstream in(entry.path(), std::ios::binary);
        files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return files;
}

TEST(IdpCorpus, HelloSeedsParse) {
    const auto seeds = read_corpus(MCSEC_IDP_HELLO_CORPUS_DIR);
    ASSERT_GE(seeds.size(), 4U);
    for (const auto& seed : seeds) {
        ParsedHello parsed;
        EXPECT_EQ(parse_hello(seed, parsed), ParseError::Ok);
    }
}

TEST(IdpCorpus, PrefixSeedsParse) {
    const auto seeds = read_corpus(MCSEC_IDP_PREFIX_CORPUS_DIR);
    ASSERT_GE(seeds.size(), 3U);
    for (const auto& seed : seeds) {
        PrefixAnnouncement announcement;
        PrefixAck ack;
        EXPECT_TRUE(parse_prefix_announcement(seed, announcement) == ParseError::Ok ||
                    parse_prefix_ack(seed, ack) == ParseError::Ok);
    }
}

}  // namespace
}  // namespace mcsec::control::idp::test
