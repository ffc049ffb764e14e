// The datagram admission stage of mcsec-controld (controld/datagram_admission.hpp): each
// decision on a simulated clock, with real hellos, MIKE and registration datagrams.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "datagram_admission.hpp"
#include "datagram_classifier.hpp"
#include "idp_test_support.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"
#include "mcsec/control/registration/messages.hpp"

namespace mcsec::control {
namespace {

using idp::test::kT0;
using idp::test::signed_hello;
using idp::test::TestAuthenticator;
using idp::test::v4;
using namespace std::chrono_literals;

const auto kSiteAddress = v4(192, 0, 2, 2);
const std::string kSite = "192.0.2.2";
const std::string kStranger = "192.0.2.66";

std::vector<std::uint8_t> mike_ack(const TestAuthenticator& signer, std::uint64_t number = 1) {
    mike::Message message;
    message.header.type = mike::MessageType::Ack;
    message.header.group_id = {'g'};
    message.header.sender = signer.node_id();
    message.header.session = 7;
    message.header.number = number;
    message.header.epoch = 1;
    message.body = mike::AckBody{};
    message.credential.assign(signer.credential().begin(), signer.credential().end());
    return mike::encode_message(message, signer);
}

std::vector<std::uint8_t> registration_delete(const TestAuthenticator& signer) {
    registration::Message message;
    message.sender = signer.node_id();
    message.timestamp = 1;
    message.group = v4(239, 1, 1, 1);
    message.body = registration::DeleteBody{"site1", 0};
    message.credential.assign(signer.credential().begin(), signer.credential().end());
    return registration::encode(message, signer);
}

class AdmissionTest : public ::testing::Test {
  protected:
    AdmissionTest() : admission_("site1", limits(), kT0) {}

    static AdmissionLimits limits() {
        AdmissionLimits l;
        l.source_rate = 100;
        l.source_burst = 200;
        l.unverified_cost = 10;
        l.signature_rate = 20;
        l.signature_burst = 40;
        l.max_sources = 8;
        return l;
    }

    AdmissionVerdict admit(const std::vector<std::uint8_t>& datagram, const std::string& source,
                           idp::TimePoint now = kT0) {
        return admission_.admit(datagram, source, lookup_, now);
    }

    void make_up(const NodeId& node, config::IpAddress address) {
        peers_[node] = idp::Peer{node, idp::PeerState::Up, address, 7, 1, kT0, {}, {}};
    }

    std::map<NodeId, idp::Peer, std::less<>> peers_;
    DatagramAdmission::PeerLookup lookup_ = [this](std::string_view node) -> const idp::Peer* {
        const auto found = peers_.find(node);
        return found == peers_.end() ? nullptr : &found->second;
    };
    DatagramAdmission admission_;
    TestAuthenticator site2_{"site2"};
    TestAuthenticator mallory_{"mallory"};
};

TEST(DatagramClassifierTest, ReadsEachProtocolsClaimedSender) {
    TestAuthenticator site2("site2");
    const auto hello = classify_datagram(signed_hello(site2, 7, 1, kSiteAddress));
    EXPECT_EQ(hello.protocol, DatagramProtocol::IdpHello);
    EXPECT_TRUE(hello.parsed);
    EXPECT_EQ(hello.sender, "site2");
    EXPECT_EQ(hello.black_address, kSiteAddress);
    const auto mike = classify_datagram(mike_ack(site2));
    EXPECT_EQ(mike.protocol, DatagramProtocol::Mike);
    EXPECT_TRUE(mike.parsed);
    EXPECT_EQ(mike.sender, "site2");
    const auto reg = classify_datagram(registration_delete(site2));
    EXPECT_EQ(reg.protocol, DatagramProtocol::Registration);
    EXPECT_TRUE(reg.parsed);
    EXPECT_EQ(reg.sender, "site2");
    EXPECT_EQ(classify_datagram(std::vector<std::uint8_t>{'x', 'y', 'z'}).protocol,
              DatagramProtocol::Unknown);
    auto truncated = signed_hello(site2, 7, 1, kSiteAddress);
    truncated.resize(10);
    EXPECT_FALSE(classify_datagram(truncated).parsed);
}

TEST_F(AdmissionTest, FirstHelloFromAnUnknownNodeIsBudgeted) {
    EXPECT_EQ(admit(signed_hello(site2_, 7, 1, kSiteAddress), kSite),
              AdmissionVerdict::AdmittedBudgeted);
    EXPECT_EQ(admission_.count(AdmissionVerdict::AdmittedBudgeted), 1U);
}

TEST_F(AdmissionTest, KnownPeerAtItsAddressIsAdmittedWithoutBudget) {
    make_up("site2", kSiteAddress);
    for (int i = 0; i < 100; ++i) {  // more than the signature budget's burst
        EXPECT_EQ(admit(signed_hello(site2_, 7, 2 + i, kSiteAddress), kSite, kT0 + i * 10ms),
                  AdmissionVerdict::AdmittedKnownPeer);
    }
    EXPECT_EQ(admit(mike_ack(site2_), kSite, kT0 + 1s), AdmissionVerdict::AdmittedKnownPeer);
    EXPECT_EQ(admit(registration_delete(site2_), kSite, kT0 + 1s),
              AdmissionVerdict::AdmittedKnownPeer);
}

TEST_F(AdmissionTest, HelloWhoseAddressFieldIsNotItsSourceIsDropped) {
    EXPECT_EQ(admit(signed_hello(site2_, 7, 1, kSiteAddress), kStranger),
              AdmissionVerdict::HelloAddressMismatch);
    EXPECT_EQ(admission_.count(AdmissionVerdict::HelloAddressMismatch), 1U);
}

TEST_F(AdmissionTest, UpPeerClaimedFromAnotherAddressIsDropped) {
    make_up("site2", kSiteAddress);
    // The forger writes its own address into the hello: consistent, but not site2's.
    EXPECT_EQ(admit(signed_hello(site2_, 7, 9, v4(192, 0, 2, 66)), kStranger),
              AdmissionVerdict::PeerAddressMismatch);
    EXPECT_EQ(admit(mike_ack(site2_), kStranger), AdmissionVerdict::PeerAddressMismatch);
    EXPECT_EQ(admit(registration_delete(site2_), kStranger), AdmissionVerdict::PeerAddressMismatch);
    EXPECT_EQ(admission_.count(AdmissionVerdict::PeerAddressMismatch), 3U);
}

TEST_F(AdmissionTest, DownPeerMayComeBackFromANewAddress) {
    make_up("site2", kSiteAddress);
    peers_["site2"].state = idp::PeerState::Down;
    EXPECT_EQ(admit(signed_hello(site2_, 8, 1, v4(192, 0, 2, 66)), kStranger),
              AdmissionVerdict::AdmittedBudgeted);
}

TEST_F(AdmissionTest, ClaimOfThisNodesOwnIdIsDropped) {
    TestAuthenticator self("site1");
    EXPECT_EQ(admit(signed_hello(self, 7, 1, v4(192, 0, 2, 66)), kStranger),
              AdmissionVerdict::ClaimsOwnNode);
    EXPECT_EQ(admit(registration_delete(self), kStranger), AdmissionVerdict::ClaimsOwnNode);
}

TEST_F(AdmissionTest, DatagramsRefusedBeforeSignatureWorkPassUnbudgeted) {
    // MIKE from a node discovery does not report up: MIKE refuses it before verifying.
    EXPECT_EQ(admit(mike_ack(mallory_), kStranger), AdmissionVerdict::AdmittedUnsigned);
    auto broken = signed_hello(mallory_, 7, 1, v4(192, 0, 2, 66));
    broken.resize(12);
    EXPECT_EQ(admit(broken, kStranger), AdmissionVerdict::AdmittedUnsigned);
    EXPECT_EQ(admit({'?', '?', 0, 0}, kStranger), AdmissionVerdict::AdmittedUnsigned);
}

TEST_F(AdmissionTest, SourceRateLimitRefillsOverTime) {
    make_up("site2", kSiteAddress);
    const auto hello = signed_hello(site2_, 7, 2, kSiteAddress);
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(admitted(admit(hello, kSite)));
    EXPECT_EQ(admit(hello, kSite), AdmissionVerdict::SourceRateLimited);
    // Another source has its own bucket.
    EXPECT_EQ(admit(signed_hello(mallory_, 1, 1, v4(192, 0, 2, 66)), kStranger),
              AdmissionVerdict::AdmittedBudgeted);
    // 100 per second: 10 ms buys one more.
    EXPECT_TRUE(admitted(admit(hello, kSite, kT0 + 10ms)));
    EXPECT_EQ(admit(hello, kSite, kT0 + 10ms), AdmissionVerdict::SourceRateLimited);
}

TEST_F(AdmissionTest, SignatureWorkFromOneSourceIsLimitedToItsShare) {
    // 200 tokens of burst at 10 a verification: 20 from one address, then its bucket is empty.
    int budgeted = 0;
    for (int i = 0; i < 40; ++i) {
        const auto forged =
            signed_hello(TestAuthenticator("x" + std::to_string(i)), 1, 1, v4(192, 0, 2, 66));
        budgeted += admit(forged, kStranger) == AdmissionVerdict::AdmittedBudgeted;
    }
    EXPECT_EQ(budgeted, 20);
    EXPECT_EQ(admission_.count(AdmissionVerdict::SourceRateLimited), 20U);
}

TEST_F(AdmissionTest, GlobalSignatureBudgetBoundsStrangersButNeverKnownPeers) {
    make_up("site2", kSiteAddress);
    int budgeted = 0;
    // Strangers from many addresses: together they spend the global burst of 40.
    for (int source = 0; source < 8; ++source) {
        const auto address = v4(198, 51, 100, static_cast<std::uint8_t>(source + 1));
        for (int i = 0; i < 10; ++i) {
            const auto forged = signed_hello(
                TestAuthenticator("x" + std::to_string(source * 10 + i)), 1, 1, address);
            const auto verdict = admit(forged, address.to_string());
            budgeted += verdict == AdmissionVerdict::AdmittedBudgeted;
        }
    }
    EXPECT_EQ(budgeted, 40);
    EXPECT_EQ(admission_.count(AdmissionVerdict::SignatureBudgetExhausted), 40U);
    // The known peer's hello still goes through.
    EXPECT_EQ(admit(signed_hello(site2_, 7, 2, kSiteAddress), kSite),
              AdmissionVerdict::AdmittedKnownPeer);
    // A joining peer gets through once the budget refills (20 a second).
    TestAuthenticator site3("site3");
    const auto site3_address = v4(192, 0, 2, 3);
    EXPECT_EQ(admit(signed_hello(site3, 1, 1, site3_address), "192.0.2.3"),
              AdmissionVerdict::SignatureBudgetExhausted);
    EXPECT_EQ(admit(signed_hello(site3, 1, 2, site3_address), "192.0.2.3", kT0 + 100ms),
              AdmissionVerdict::AdmittedBudgeted);
}

TEST_F(AdmissionTest, SourceTableIsBoundedAndForgetsRefilledBuckets) {
    for (int source = 0; source < 20; ++source) {
        const auto address = "198.51.100." + std::to_string(source + 1);
        admit({'?', '?'}, address);
    }
    EXPECT_EQ(admission_.tracked_sources(), 8U);  // the rest shared the overflow bucket
    // A second later every bucket is full again: the sweep forgets them for newcomers.
    admit({'?', '?'}, "203.0.113.1", kT0 + 3s);
    EXPECT_EQ(admission_.tracked_sources(), 1U);
}

TEST_F(AdmissionTest, UnparseableSourceIsDropped) {
    EXPECT_EQ(admit(signed_hello(site2_, 7, 1, kSiteAddress), "not-an-address"),
              AdmissionVerdict::BadSource);
}

TEST(AdmissionVerdictTest, EveryVerdictHasANameAndAText) {
    for (std::size_t i = 0; i < kAdmissionVerdictCount; ++i) {
        const auto verdict = static_cast<AdmissionVerdict>(i);
        EXPECT_FALSE(to_string(verdict).empty());
        EXPECT_FALSE(describe(verdict).empty());
    }
    EXPECT_TRUE(admitted(AdmissionVerdict::AdmittedKnownPeer));
    EXPECT_FALSE(admitted(AdmissionVerdict::PeerAddressMismatch));
}

}  // namespace
}  // namespace mcsec::control
