// Every drop reason of the ESP stages, provoked on purpose: untrusted bytes from the black side
// must be dropped with the precise reason and counted, and nothing about them may reach red.
#include <gtest/gtest.h>

#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/esp_decap.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "test_packets.hpp"

namespace mcsec::esp {
namespace {

using test::TestPacket;

class EspDrops : public ::testing::Test {
  protected:
    void SetUp() override {
        engine_ = crypto::make_engine(crypto::Backend::IpsecMb);
        params_ = test::sa_params(key_, "239.1.1.1", "239.100.1.1", "192.0.2.1");
        params_.sender_id = 7;
        rebuild();
    }
    void rebuild() {
        out_ = make_outbound_sa(*engine_, params_);
        in_ = make_inbound_sa(*engine_, params_);
        sad_ = std::make_unique<Sad>(8);
        sad_->add(in_.get());
        encap_ = std::make_unique<EspEncap>(*engine_);
        decap_ = std::make_unique<EspDecap>(*engine_, *sad_);
    }

    // A valid ESP packet for `inner` on the test SA.
    std::vector<uint8_t> encapsulate(const std::vector<uint8_t>& inner) {
        TestPacket p(inner);
        PacketBuffer* pkts[1] = {p.ptr()};
        OutboundSa* sas[1] = {out_.get()};
        DropReason reasons[1];
        EXPECT_EQ(encap_->process(pkts, sas, reasons, 0), 1u);
        return p.bytes();
    }
    std::vector<uint8_t> valid_packet() {
        return encapsulate(test::udp_packet("10.1.0.1", "239.1.1.1", 32));
    }

    // An ESP packet on the test SA whose authenticated plaintext (inner packet + padding +
    // pad length + next header) is given byte for byte: for trailer and inner checks that only
    // run after the ICV verified.
    std::vector<uint8_t> seal_raw(std::vector<uint8_t> plaintext, uint64_t seq) {
        std::vector<uint8_t> p(20 + 16 + plaintext.size() + 16);
        p[0] = 0x45;
        store_be16(&p[2], static_cast<uint16_t>(p.size()));
        p[8] = 64;
        p[9] = kIpProtoEsp;
        std::copy_n(test::ip("192.0.2.1").v4_bytes(), 4, &p[12]);
        std::copy_n(test::ip("239.100.1.1").v4_bytes(), 4, &p[16]);
        store_be32(&p[20], params_.spi);
        store_be32(&p[24], static_cast<uint32_t>(seq));
        store_be64(&p[28], uint64_t{7} << 48 | seq);
        std::copy(plaintext.begin(), plaintext.end(), &p[36]);
        uint8_t nonce[12], aad[12];
        std::copy(params_.salt.begin(), params_.salt.end(), nonce);
        std::copy_n(&p[28], 8, nonce + 4);
        store_be32(aad, params_.spi);
        store_be32(aad + 4, static_cast<uint32_t>(seq >> 32));
        store_be32(aad + 8, static_cast<uint32_t>(seq));
        crypto::AeadOp op{in_->key.get(),
                          nonce,
                          aad,
                          12,
                          &p[36],
                          static_cast<uint32_t>(plaintext.size()),
                          &p[36 + plaintext.size()]};
        engine_->seal({&op, 1});
        EXPECT_TRUE(op.ok);
        return p;
    }

    // Runs one packet through decap; returns the drop reason, or Count if it was accepted.
    DropReason decap_one(const std::vector<uint8_t>& bytes) {
        TestPacket p(bytes);
        PacketBuffer* pkts[1] = {p.ptr()};
        InboundSa* sas[1];
        DropReason reasons[1];
        const uint64_t before = decap_->drops().total();
        if (decap_->process(pkts, sas, reasons, now_) == 1) return DropReason::Count;
        EXPECT_EQ(decap_->drops().total(), before + 1);
        EXPECT_EQ(decap_->drops()[reasons[0]] > 0, true);
        return reasons[0];
    }

    DropReason encap_one(TestPacket& p) {
        PacketBuffer* pkts[1] = {p.ptr()};
        OutboundSa* sas[1] = {out_.get()};
        DropReason reasons[1];
        if (encap_->process(pkts, sas, reasons, now_) == 1) return DropReason::Count;
        return reasons[0];
    }

    std::vector<uint8_t> key_ = std::vector<uint8_t>(16, 0x5a);
    std::unique_ptr<crypto::AeadEngine> engine_;
    GroupSaParams params_;
    std::unique_ptr<OutboundSa> out_;
    std::unique_ptr<InboundSa> in_;
    std::unique_ptr<Sad> sad_;
    std::unique_ptr<EspEncap> encap_;
    std::unique_ptr<EspDecap> decap_;
    DropReason encap_one_valid() {
        TestPacket p(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
        return encap_one(p);
    }
    uint64_t now_ = 0;
};

TEST_F(EspDrops, ValidPacketIsAccepted) {
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);
}

TEST_F(EspDrops, TruncatedAtEveryLength) {
    const auto good = valid_packet();
    for (size_t len = 0; len < good.size(); ++len) {
        SCOPED_TRACE(len);
        std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(len));
        const DropReason r = decap_one(cut);
        EXPECT_TRUE(r == DropReason::Truncated || r == DropReason::OuterMalformed)
            << counter_name(r);
    }
}

TEST_F(EspDrops, EspShorterThanMinimumIsTruncated) {
    auto p = valid_packet();
    p.resize(20 + 30);
    store_be16(&p[2], static_cast<uint16_t>(p.size()));
    EXPECT_EQ(decap_one(p), DropReason::Truncated);
}

TEST_F(EspDrops, BadIpVersionIsMalformed) {
    auto p = valid_packet();
    p[0] = 0x55;
    EXPECT_EQ(decap_one(p), DropReason::OuterMalformed);
}

TEST_F(EspDrops, OuterFragmentIsDropped) {
    auto p = valid_packet();
    p[6] = 0x20;  // more fragments
    EXPECT_EQ(decap_one(p), DropReason::OuterFragment);
}

TEST_F(EspDrops, PlaintextMulticastFromBlackIsNotEsp) {
    EXPECT_EQ(decap_one(test::udp_packet("192.0.2.9", "239.1.1.1", 32)), DropReason::NotEsp);
}

TEST_F(EspDrops, UnknownSpiOrWrongDestination) {
    auto p = valid_packet();
    p[23] ^= 0x01;
    EXPECT_EQ(decap_one(p), DropReason::UnknownSpi);
    auto q = valid_packet();
    q[19] ^= 0x01;  // same SPI, different destination group
    EXPECT_EQ(decap_one(q), DropReason::UnknownSpi);
}

TEST_F(EspDrops, ForgedIcvCiphertextOrIvFailIntegrity) {
    auto p = valid_packet();
    p.back() ^= 0x80;
    EXPECT_EQ(decap_one(p), DropReason::IcvMismatch);
    auto q = valid_packet();
    q[40] ^= 0x01;  // ciphertext
    EXPECT_EQ(decap_one(q), DropReason::IcvMismatch);
    auto r = valid_packet();
    r[35] ^= 0x01;  // IV (part of the nonce)
    EXPECT_EQ(decap_one(r), DropReason::IcvMismatch);
    auto s = valid_packet();
    s[27] ^= 0x40;  // sequence number (part of the AAD)
    EXPECT_EQ(decap_one(s), DropReason::IcvMismatch);
}

TEST_F(EspDrops, WrongKeyFailsIntegrity) {
    const auto p = valid_packet();
    key_[0] ^= 1;
    auto other_in = make_inbound_sa(*engine_, params_);
    sad_->add(other_in.get());  // replaces the SA for the same (SPI, destination)
    EXPECT_EQ(decap_one(p), DropReason::IcvMismatch);
}

TEST_F(EspDrops, ReplayedPacketIsDropped) {
    const auto p = valid_packet();
    EXPECT_EQ(decap_one(p), DropReason::Count);
    EXPECT_EQ(decap_one(p), DropReason::Replay);
}

TEST_F(EspDrops, DuplicateInsideOneBurstIsDropped) {
    const auto bytes = valid_packet();
    TestPacket a(bytes), b(bytes);
    PacketBuffer* pkts[2] = {a.ptr(), b.ptr()};
    InboundSa* sas[2];
    DropReason reasons[2];
    EXPECT_EQ(decap_->process(pkts, sas, reasons, 0), 1u);
    EXPECT_EQ(reasons[1], DropReason::Replay);
}

TEST_F(EspDrops, PacketLeftOfWindowIsReplayWithoutEsn) {
    params_.esn = false;
    rebuild();
    const auto old = valid_packet();  // seq 1
    for (int i = 0; i < 1100; ++i) valid_packet();
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);  // seq 1102
    EXPECT_EQ(decap_one(old), DropReason::Replay);
}

// With ESN, RFC 4303 Appendix A2.2 reads a number below the window as the next 2^32 subspace;
// the ICV then fails because the guessed high half is wrong. Either way it never gets through.
TEST_F(EspDrops, PacketLeftOfWindowFailsIntegrityWithEsn) {
    const auto old = valid_packet();  // seq 1
    for (int i = 0; i < 1100; ++i) valid_packet();
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);  // seq 1102
    EXPECT_EQ(decap_one(old), DropReason::IcvMismatch);
}

TEST_F(EspDrops, ReplayCheckCanBeSwitchedOffForCaptureReplay) {
    params_.replay_check = false;
    rebuild();
    const auto p = valid_packet();
    EXPECT_EQ(decap_one(p), DropReason::Count);
    EXPECT_EQ(decap_one(p), DropReason::Count);
}

TEST_F(EspDrops, SendersBeyondCapacityAreDroppedAfterAuthentication) {
    params_.max_senders = 1;
    rebuild();
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);  // sender 7 takes the one window
    params_.sender_id = 8;
    auto other = make_outbound_sa(*engine_, params_);
    std::swap(other, out_);
    EXPECT_EQ(decap_one(valid_packet()), DropReason::TooManySenders);
    // A forged packet from yet another sender never takes a window: it fails the ICV first.
    auto forged = valid_packet();
    forged[30] ^= 0x01;
    EXPECT_EQ(decap_one(forged), DropReason::IcvMismatch);
    EXPECT_EQ(in_->senders.count(), 1u);
}

TEST_F(EspDrops, BadPaddingLengthAndContents) {
    auto inner = test::udp_packet("10.1.0.1", "239.1.1.1", 6);  // 34 bytes
    auto with_trailer = [&](std::vector<uint8_t> pad, uint8_t pad_len, uint8_t nh) {
        auto pt = inner;
        pt.insert(pt.end(), pad.begin(), pad.end());
        pt.push_back(pad_len);
        pt.push_back(nh);
        return pt;
    };
    EXPECT_EQ(decap_one(seal_raw(with_trailer({1, 2}, 2, 4), 1)), DropReason::Count);
    EXPECT_EQ(decap_one(seal_raw(with_trailer({1, 3}, 2, 4), 2)), DropReason::BadPadding);
    EXPECT_EQ(decap_one(seal_raw(with_trailer({1, 2}, 200, 4), 3)), DropReason::BadPadding);
}

TEST_F(EspDrops, NextHeaderChecks) {
    auto inner = test::udp_packet("10.1.0.1", "239.1.1.1", 6);
    auto pt = [&](uint8_t nh) {
        auto v = inner;
        v.insert(v.end(), {1, 2, 2, nh});
        return v;
    };
    EXPECT_EQ(decap_one(seal_raw(pt(59), 1)), DropReason::DummyPacket);
    EXPECT_EQ(decap_one(seal_raw(pt(17), 2)), DropReason::BadNextHeader);
    EXPECT_EQ(decap_one(seal_raw(pt(41), 3)), DropReason::InnerInvalid);  // IPv4 says IPv6
}

TEST_F(EspDrops, InnerPacketMustBeWellFormed) {
    std::vector<uint8_t> garbage = {0x45, 0, 0, 200, 0, 0, 0, 0, 64, 17};  // claims 200 bytes
    garbage.resize(22, 0);
    garbage.insert(garbage.end(), {1, 2});
    garbage.push_back(2);
    garbage.push_back(4);
    EXPECT_EQ(decap_one(seal_raw(garbage, 1)), DropReason::InnerInvalid);
}

TEST_F(EspDrops, InboundPolicyRejectsOtherGroupsAndSources) {
    // A key holder encrypts a packet for another group under this group's SA.
    EXPECT_EQ(decap_one(encapsulate(test::udp_packet("10.1.0.1", "239.9.9.9", 8))),
              DropReason::InboundPolicyMismatch);
    params_.red_source = SourcePrefix{test::ip("10.1.0.0"), 96 + 24};
    rebuild();
    EXPECT_EQ(decap_one(encapsulate(test::udp_packet("10.1.0.77", "239.1.1.1", 8))),
              DropReason::Count);
    EXPECT_EQ(decap_one(encapsulate(test::udp_packet("10.2.0.77", "239.1.1.1", 8))),
              DropReason::InboundPolicyMismatch);
}

TEST_F(EspDrops, InboundPacketLifetimeIsPerSender) {
    params_.lifetime.hard_packets = 3;
    rebuild();
    // Receiver lifetime counts each sender's accepted packets; the senders' SAs are unlimited.
    out_->lifetime = {};
    for (int i = 0; i < 3; ++i) EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);
    EXPECT_EQ(decap_one(valid_packet()), DropReason::SaHardExpired);
    EXPECT_TRUE(in_->runtime->soft_expired);  // a rekey is wanted
    // Another sender on the same SA has used nothing yet: its traffic still flows, and the
    // SA as a whole is not stopped by one sender's use.
    EXPECT_FALSE(in_->runtime->hard_expired);
    params_.sender_id = 8;
    auto second = make_outbound_sa(*engine_, params_);
    second->lifetime = {};
    std::swap(second, out_);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);
    EXPECT_EQ(decap_one(valid_packet()), DropReason::SaHardExpired);
    EXPECT_EQ(in_->senders.find(7).usage().packets, 3u);
    EXPECT_EQ(in_->senders.find(8).usage().packets, 3u);
    EXPECT_EQ(in_->runtime->usage.packets, 6u);
}

TEST_F(EspDrops, InboundTimeLifetimeStopsTheWholeSa) {
    params_.lifetime.hard_seconds = 10;
    rebuild();
    out_->lifetime = {};
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);
    now_ = 10;
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);  // the one that reaches it
    EXPECT_TRUE(in_->runtime->hard_expired);
    EXPECT_EQ(decap_one(valid_packet()), DropReason::SaHardExpired);
}

TEST_F(EspDrops, AuthenticPacketWithOurOwnSenderIdIsCountedNotDelivered) {
    in_->own_sender_id = 7;  // the test sender's ID: another box configured like us
    EXPECT_EQ(decap_one(valid_packet()), DropReason::OwnSenderId);
    EXPECT_EQ(in_->runtime->own_sender_id_packets, 1u);
    EXPECT_EQ(in_->senders.count(), 0u);
    // A forgery with our sender ID fails the ICV first and is not counted as a conflict.
    auto forged = valid_packet();
    forged[40] ^= 0x01;
    EXPECT_EQ(decap_one(forged), DropReason::IcvMismatch);
    EXPECT_EQ(in_->runtime->own_sender_id_packets, 1u);
}

TEST_F(EspDrops, InboundSoftLifetimeAsksForRekeyButDelivers) {
    params_.lifetime.soft_seconds = 10;
    rebuild();
    now_ = 11;
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);
    EXPECT_TRUE(in_->runtime->soft_expired);
    EXPECT_FALSE(in_->runtime->hard_expired);
}

// Outbound reasons.
TEST_F(EspDrops, EncapAsksForRekeyBeforeTheCounterRunsOut) {
    params_.esn = false;
    rebuild();
    out_->runtime->last_seq = rekey_point(kMaxSeqNoEsn) - 2;
    EXPECT_EQ(encap_one_valid(), DropReason::Count);
    EXPECT_FALSE(out_->runtime->soft_expired);
    EXPECT_EQ(encap_one_valid(), DropReason::Count);  // uses the rekey point itself
    EXPECT_TRUE(out_->runtime->soft_expired);
    EXPECT_FALSE(out_->runtime->hard_expired);
}

TEST_F(EspDrops, EncapRejectsNonIp) {
    std::vector<uint8_t> junk(40, 0x00);
    TestPacket p(junk);
    EXPECT_EQ(encap_one(p), DropReason::InnerMalformed);
}

TEST_F(EspDrops, EncapNeedsHeadroomAndTailroom) {
    TestPacket no_head(test::udp_packet("10.1.0.1", "239.1.1.1", 10), 20, 64);
    EXPECT_EQ(encap_one(no_head), DropReason::NoHeadroom);
    TestPacket no_tail(test::udp_packet("10.1.0.1", "239.1.1.1", 10), 64, 10);
    EXPECT_EQ(encap_one(no_tail), DropReason::NoTailroom);
    // Neither consumed a sequence number.
    EXPECT_EQ(out_->runtime->last_seq, 0u);
}

TEST_F(EspDrops, EncapHardLifetimeByPacketsBytesAndTime) {
    params_.lifetime.hard_packets = 2;
    rebuild();
    TestPacket a(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    TestPacket b(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    TestPacket c(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(a), DropReason::Count);
    EXPECT_EQ(encap_one(b), DropReason::Count);
    EXPECT_EQ(encap_one(c), DropReason::SaHardExpired);
    EXPECT_TRUE(out_->runtime->hard_expired);

    params_.lifetime = {.soft_seconds = 5, .hard_seconds = 10};
    rebuild();
    now_ = 6;
    TestPacket d(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(d), DropReason::Count);
    EXPECT_TRUE(out_->runtime->soft_expired);
    now_ = 10;
    TestPacket e(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(e), DropReason::SaHardExpired);
}

TEST_F(EspDrops, CounterExhaustionForcesRekeyNeverWraps) {
    // Without ESN the 32-bit sequence number must not cycle (RFC 4303 section 3.3.3).
    params_.esn = false;
    rebuild();
    out_->runtime->last_seq = kMaxSeqNoEsn - 1;
    TestPacket a(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    TestPacket b(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(a), DropReason::Count);
    EXPECT_EQ(load_be32(a.buffer().data() + 24), 0xffffffffu);
    EXPECT_EQ(encap_one(b), DropReason::SeqExhausted);
    EXPECT_TRUE(out_->runtime->hard_expired);
    // With ESN the limit is the 48-bit IV counter of RFC 6054.
    params_.esn = true;
    rebuild();
    out_->runtime->last_seq = kMaxSeqEsn;
    TestPacket c(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(c), DropReason::SeqExhausted);
}

TEST_F(EspDrops, NothingAboveSeqLimitLeaves) {
    // The nonce ledger has numbers up to 3 on disk: packets 4 and 5 must not be sent.
    out_->runtime->seq_limit = 3;
    std::vector<std::unique_ptr<TestPacket>> burst;
    std::vector<PacketBuffer*> pkts;
    std::vector<OutboundSa*> sas;
    for (int i = 0; i < 5; ++i) {
        burst.push_back(
            std::make_unique<TestPacket>(test::udp_packet("10.1.0.1", "239.1.1.1", 10)));
        pkts.push_back(&burst.back()->buffer());
        sas.push_back(out_.get());
    }
    std::vector<DropReason> reasons(5);
    EXPECT_EQ(encap_->process(pkts, sas, reasons, now_), 3u);
    EXPECT_EQ(reasons[3], DropReason::SeqNotReserved);
    EXPECT_EQ(reasons[4], DropReason::SeqNotReserved);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(load_be32(pkts[i]->data() + 24), static_cast<uint32_t>(i + 1)) << i;
    }
    // At the limit nothing is consumed any more: the counter stays where it is.
    const uint64_t last = out_->runtime->last_seq;
    TestPacket more(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(more), DropReason::SeqNotReserved);
    EXPECT_EQ(out_->runtime->last_seq, last);
    // A new reservation lets traffic continue above every number handed out before.
    out_->runtime->seq_limit = 100;
    TestPacket after(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(after), DropReason::Count);
    EXPECT_GT(load_be32(after.buffer().data() + 24), 3u);
    // An SA never reserved (a fresh shared-memory slot) sends nothing.
    out_->runtime->seq_limit = 0;
    out_->runtime->last_seq = 0;
    TestPacket fresh(test::udp_packet("10.1.0.1", "239.1.1.1", 10));
    EXPECT_EQ(encap_one(fresh), DropReason::SeqNotReserved);
    EXPECT_EQ(out_->runtime->last_seq, 0u);
}

TEST_F(EspDrops, EsnRolloverEndToEnd) {
    // Sender and receiver cross the 2^32 boundary; the high half lives only in the AAD.
    out_->runtime->last_seq = 0xffffffffULL - 5;
    for (int i = 0; i < 12; ++i) {
        EXPECT_EQ(decap_one(valid_packet()), DropReason::Count) << i;
    }
    EXPECT_EQ(out_->runtime->last_seq, 0xffffffffULL + 7);
}

TEST_F(EspDrops, LateJoinerSynchronisesOnTheSendersEsnFromTheIv) {
    // The sender is far past 2^32 when this receiver sees its first packet.
    out_->runtime->last_seq = (uint64_t{7} << 32) + 100;
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);
    EXPECT_EQ(in_->senders.find(7).top(), (uint64_t{7} << 32) + 101);
    EXPECT_EQ(decap_one(valid_packet()), DropReason::Count);
}

TEST(DropReasonTable, EveryReasonHasAUniqueCounterNameAndText) {
    std::set<std::string_view> names;
    for (size_t i = 0; i < kDropReasonCount; ++i) {
        const auto r = static_cast<DropReason>(i);
        EXPECT_FALSE(counter_name(r).empty());
        EXPECT_FALSE(description(r).empty());
        EXPECT_TRUE(names.insert(counter_name(r)).second) << counter_name(r);
    }
}

}  // namespace
}  // namespace mcsec::esp
