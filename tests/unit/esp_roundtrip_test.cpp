// Encap -> decap round trips over every combination of backend (encap and decap each on either
// backend), key size, inner family and outer family, plus the wire details of the ESP packet.
#include <gtest/gtest.h>

#include <tuple>

#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "test_packets.hpp"

namespace mcsec::esp {
namespace {

using crypto::Backend;
using test::TestPacket;

struct Case {
    Backend encap_backend;
    Backend decap_backend;
    size_t key_length;
    bool inner_v6;
    bool outer_v6;
};

class EspRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(EspRoundTrip, DecapRestoresTheInnerPacketExactly) {
    const Case c = GetParam();
    auto encap_engine = crypto::make_engine(c.encap_backend);
    auto decap_engine = crypto::make_engine(c.decap_backend);
    std::vector<uint8_t> key(c.key_length);
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x40 + i);

    const char* red_group = c.inner_v6 ? "ff3e::1234" : "239.1.1.1";
    const char* red_src = c.inner_v6 ? "2001:db8:1::10" : "10.1.0.10";
    const char* black_group = c.outer_v6 ? "ff3e::beef" : "239.100.1.1";
    const char* black_src = c.outer_v6 ? "2001:db8:ff::1" : "192.0.2.1";
    auto params = test::sa_params(key, red_group, black_group, black_src);
    params.sender_id = 0x0102;
    auto out = make_outbound_sa(*encap_engine, params);
    auto in = make_inbound_sa(*decap_engine, params);
    ASSERT_TRUE(out && in);
    Sad sad(16);
    ASSERT_TRUE(sad.add(in.get()));
    EspEncap encap(*encap_engine);
    EspDecap decap(*decap_engine, sad);

    // Every length from tiny to MTU-sized exercises each of the four padding lengths.
    for (size_t payload : {0, 1, 2, 3, 4, 5, 17, 100, 511, 1000, 1392}) {
        SCOPED_TRACE(payload);
        const auto inner = test::udp_packet(red_src, red_group, payload, 0xb9 /* EF + ECT(1) */);
        TestPacket pkt(inner);
        PacketBuffer* pkts[1] = {pkt.ptr()};
        OutboundSa* sas[1] = {out.get()};
        DropReason reasons[1];
        ASSERT_EQ(encap.process(pkts, sas, reasons, 0), 1u);

        // Wire format.
        const auto wire = pkt.bytes();
        EXPECT_EQ(wire.size(), esp_tunnel_length(static_cast<uint32_t>(inner.size()),
                                                 c.outer_v6 ? IpFamily::V6 : IpFamily::V4));
        const size_t outer_len = c.outer_v6 ? 40 : 20;
        const uint8_t* esp = wire.data() + outer_len;
        EXPECT_EQ(load_be32(esp), 0x1000u);
        const uint64_t seq = out->runtime->last_seq;
        EXPECT_EQ(load_be32(esp + 4), static_cast<uint32_t>(seq));
        EXPECT_EQ(load_be64(esp + 8), uint64_t{0x0102} << 48 | seq);  // RFC 6054 IV
        const size_t esp_len = wire.size() - outer_len;
        EXPECT_EQ((esp_len - 8 - 8 - 16) % 4, 0u) << "trailer not 4-byte aligned";
        if (c.outer_v6) {
            EXPECT_EQ(wire[0] >> 4, 6);
            EXPECT_EQ(wire[6], kIpProtoEsp);
            EXPECT_EQ(load_be16(&wire[4]), wire.size() - 40);
            EXPECT_EQ((load_be16(&wire[0]) >> 4) & 0xff, 0xb9);  // DSCP and ECN copied
            EXPECT_EQ(IpAddress::from_v6(&wire[24]), test::ip(black_group));
        } else {
            EXPECT_EQ(wire[0], 0x45);
            EXPECT_EQ(wire[1], 0xb9);
            EXPECT_EQ(wire[9], kIpProtoEsp);
            EXPECT_EQ(load_be16(&wire[2]), wire.size());
            EXPECT_EQ(internet_checksum(wire.data(), 20), 0);
            EXPECT_EQ(IpAddress::from_v4(&wire[16]), test::ip(black_group));
            EXPECT_EQ(IpAddress::from_v4(&wire[12]), test::ip(black_src));
        }

        InboundSa* in_sas[1];
        ASSERT_EQ(decap.process(pkts, in_sas, reasons, 0), 1u) << counter_name(reasons[0]);
        EXPECT_EQ(in_sas[0], in.get());
        EXPECT_EQ(pkt.bytes(), inner);
    }
    EXPECT_EQ(encap.drops().total(), 0u);
    EXPECT_EQ(decap.drops().total(), 0u);
    EXPECT_EQ(in->runtime->usage.packets, 11u);
    EXPECT_EQ(out->runtime->usage.packets, 11u);
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    for (Backend e : {Backend::IpsecMb, Backend::OpenSsl})
        for (Backend d : {Backend::IpsecMb, Backend::OpenSsl})
            for (size_t k : {16, 32})
                for (bool iv6 : {false, true})
                    for (bool ov6 : {false, true}) cases.push_back({e, d, k, iv6, ov6});
    return cases;
}

INSTANTIATE_TEST_SUITE_P(All, EspRoundTrip, ::testing::ValuesIn(all_cases()),
                         [](const auto& test_info) {
                             const Case& c = test_info.param;
                             auto b = [](Backend x) {
                                 return x == Backend::IpsecMb ? "Mb" : "Ossl";
                             };
                             return std::string(b(c.encap_backend)) + "To" + b(c.decap_backend) +
                                    "Aes" + std::to_string(c.key_length * 8) +
                                    (c.inner_v6 ? "In6" : "In4") + (c.outer_v6 ? "Out6" : "Out4");
                         });

// Two appliances share one group SA; their packets carry different sender IDs, so their IVs
// never collide, and each gets its own replay window at the receiver.
TEST(EspGroup, TwoSendersSameSequenceNumbersBothAccepted) {
    auto engine = crypto::make_engine(Backend::IpsecMb);
    const std::vector<uint8_t> key(16, 0x11);
    auto params = test::sa_params(key, "239.1.1.1", "239.1.1.1", "192.0.2.1");
    params.sender_id = 1;
    auto sender_a = make_outbound_sa(*engine, params);
    params.sender_id = 2;
    params.tunnel_source = test::ip("192.0.2.2");
    auto sender_b = make_outbound_sa(*engine, params);
    auto receiver = make_inbound_sa(*engine, params);
    Sad sad(4);
    sad.add(receiver.get());
    EspEncap encap(*engine);
    EspDecap decap(*engine, sad);

    std::vector<uint64_t> ivs;
    for (int round = 0; round < 5; ++round) {
        TestPacket a(test::udp_packet("10.1.0.1", "239.1.1.1", 64));
        TestPacket b(test::udp_packet("10.2.0.1", "239.1.1.1", 64));
        PacketBuffer* pkts[2] = {a.ptr(), b.ptr()};
        OutboundSa* sas[2] = {sender_a.get(), sender_b.get()};
        DropReason reasons[2];
        ASSERT_EQ(encap.process(pkts, sas, reasons, 0), 2u);
        ivs.push_back(load_be64(a.buffer().data() + 28));
        ivs.push_back(load_be64(b.buffer().data() + 28));
        InboundSa* in_sas[2];
        ASSERT_EQ(decap.process(pkts, in_sas, reasons, 0), 2u);
    }
    std::sort(ivs.begin(), ivs.end());
    EXPECT_EQ(std::adjacent_find(ivs.begin(), ivs.end()), ivs.end()) << "IV reused";
    EXPECT_EQ(receiver->senders.count(), 2u);
}

TEST(EspGroup, DscpIsClearedWhenNotCopiedButEcnIsKept) {
    auto engine = crypto::make_engine(Backend::IpsecMb);
    const std::vector<uint8_t> key(16, 0x11);
    auto params = test::sa_params(key, "239.1.1.1", "239.1.1.1", "192.0.2.1");
    params.copy_dscp = false;
    params.outer_ttl = 17;
    auto sa = make_outbound_sa(*engine, params);
    EspEncap encap(*engine);
    TestPacket p(test::udp_packet("10.1.0.1", "239.1.1.1", 10, 0xbb));
    PacketBuffer* pkts[1] = {p.ptr()};
    OutboundSa* sas[1] = {sa.get()};
    DropReason reasons[1];
    ASSERT_EQ(encap.process(pkts, sas, reasons, 0), 1u);
    EXPECT_EQ(p.buffer().data()[1], 0x03);
    EXPECT_EQ(p.buffer().data()[8], 17);
}

// A burst longer than the internal chunk size keeps order and puts drops at the tail.
TEST(EspBurst, LongBurstKeepsOrderAndMovesDropsToTail) {
    auto engine = crypto::make_engine(Backend::IpsecMb);
    const std::vector<uint8_t> key(16, 0x22);
    auto params = test::sa_params(key, "239.1.1.1", "239.1.1.1", "192.0.2.1");
    auto sa = make_outbound_sa(*engine, params);
    EspEncap encap(*engine);
    constexpr size_t kBurst = 200;
    std::vector<std::unique_ptr<TestPacket>> store;
    std::vector<PacketBuffer*> pkts;
    std::vector<OutboundSa*> sas(kBurst, sa.get());
    std::vector<DropReason> reasons(kBurst);
    for (size_t i = 0; i < kBurst; ++i) {
        // Every 7th packet is not IP and must be dropped.
        auto bytes = test::udp_packet("10.1.0.1", "239.1.1.1", i);
        if (i % 7 == 0) bytes[0] = 0x00;
        store.push_back(std::make_unique<TestPacket>(bytes));
        pkts.push_back(store.back()->ptr());
    }
    const auto original = pkts;
    const uint32_t good = encap.process(pkts, sas, reasons, 0);
    EXPECT_EQ(good, kBurst - (kBurst + 6) / 7);
    size_t g = 0, b = good;
    for (size_t i = 0; i < kBurst; ++i) {
        if (i % 7 == 0) {
            EXPECT_EQ(pkts[b], original[i]);
            EXPECT_EQ(reasons[b], DropReason::InnerMalformed);
            ++b;
        } else {
            EXPECT_EQ(pkts[g++], original[i]);
        }
    }
    EXPECT_EQ(encap.drops()[DropReason::InnerMalformed], kBurst - good);
}

}  // namespace
}  // namespace mcsec::esp

namespace mcsec::esp {
namespace {

// max_inner_length is what a packet-too-big reports: the largest inner packet that still fits.
TEST(EspTunnelLength, MaxInnerLengthIsTheLargestThatFits) {
    for (const IpFamily outer : {IpFamily::V4, IpFamily::V6}) {
        for (uint32_t mtu = 60; mtu <= 9216; ++mtu) {
            const uint32_t inner = max_inner_length(mtu, outer);
            if (inner == 0) {
                EXPECT_GT(esp_tunnel_length(1, outer), mtu);
                continue;
            }
            ASSERT_LE(esp_tunnel_length(inner, outer), mtu) << mtu;
            ASSERT_GT(esp_tunnel_length(inner + 1, outer), mtu) << mtu;
        }
    }
    EXPECT_EQ(max_inner_length(1500, IpFamily::V6), 1426u);
    EXPECT_EQ(max_inner_length(1500, IpFamily::V4), 1446u);
}

}  // namespace
}  // namespace mcsec::esp
