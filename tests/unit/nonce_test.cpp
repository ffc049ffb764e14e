// Nonce safety across restarts: the nonce ledger (persistence, monotonicity, modes, no key
// bytes) and SeqReserver on a real shared-memory region, with encap as the lcores run it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "mcsec/dataplane/nonce_ledger.hpp"
#include "mcsec/dataplane/sa_cache.hpp"
#include "mcsec/dataplane/seq_reserver.hpp"
#include "mcsec/esp/byte_order.hpp"
#include "mcsec/esp/esp_encap.hpp"
#include "temp_dir.hpp"
#include "test_packets.hpp"

namespace mcsec::dataplane {
namespace {

constexpr std::array<uint8_t, 16> kKey = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                          0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x0f};
constexpr std::array<uint8_t, 4> kSalt = {0xca, 0xfe, 0xba, 0xbe};

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string hex(std::span<const uint8_t> bytes) {
    return test::to_hex(bytes.data(), bytes.size());
}

// --- the ledger -------------------------------------------------------------------------------

TEST(NonceLedger, DirectoryIs0700FilesAre0600AndNoKeyBytesAreStored) {
    test::TempDir tmp;
    const auto state_dir = tmp.path() / "var" / "lib" / "mcsec";  // created on demand
    std::string error;
    auto ledger = NonceLedger::open(state_dir, "site1", error);
    ASSERT_TRUE(ledger) << error;
    EXPECT_EQ(ledger->directory(), state_dir / "site1");
    EXPECT_EQ(mode_of(state_dir), 0700u);
    EXPECT_EQ(mode_of(state_dir / "site1"), 0700u);
    const auto id = nonce_space_id(kKey, kSalt, 1);
    ASSERT_TRUE(ledger->raise(id, 4096, error)) << error;
    const auto file = state_dir / "site1" / ("nonce-" + to_hex(id));
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(mode_of(state_dir / "site1" / "nonce.lock"), 0600u);
    EXPECT_EQ(read_file(file), "mcsec-nonce-ledger 1\n4096\n");
    // Neither the fingerprint nor anything in the directory holds the key (or half of it).
    const std::string key_hex = hex(kKey);
    for (const auto& part : {key_hex, key_hex.substr(0, 16), key_hex.substr(16)}) {
        EXPECT_EQ(to_hex(id).find(part), std::string::npos);
        for (const auto& entry : std::filesystem::directory_iterator(state_dir / "site1")) {
            EXPECT_EQ(entry.path().filename().string().find(part), std::string::npos);
            EXPECT_EQ(read_file(entry.path()).find(part), std::string::npos);
        }
    }
}

TEST(NonceLedger, FingerprintSeparatesKeySaltAndSenderId) {
    const auto id = nonce_space_id(kKey, kSalt, 1);
    EXPECT_EQ(nonce_space_id(kKey, kSalt, 1), id);
    EXPECT_NE(nonce_space_id(kKey, kSalt, 2), id);
    auto salt = kSalt;
    salt[3] ^= 1;
    EXPECT_NE(nonce_space_id(kKey, salt, 1), id);
    auto key = kKey;
    key[0] ^= 1;
    EXPECT_NE(nonce_space_id(key, kSalt, 1), id);
    std::array<uint8_t, 32> long_key{};
    std::copy(kKey.begin(), kKey.end(), long_key.begin());
    EXPECT_NE(nonce_space_id(long_key, kSalt, 1), id) << "AES-256 key with the same prefix";
}

TEST(NonceLedger, MarksPersistAndNeverGoBack) {
    test::TempDir tmp;
    const auto id = nonce_space_id(kKey, kSalt, 1);
    std::string error;
    {
        auto ledger = NonceLedger::open(tmp.path(), "site1", error);
        ASSERT_TRUE(ledger) << error;
        EXPECT_EQ(ledger->mark(id, error), 0u) << "never used";
        ASSERT_TRUE(ledger->raise(id, 1000, error)) << error;
        ASSERT_TRUE(ledger->raise(id, 500, error)) << error;  // lower: nothing changes
        EXPECT_EQ(ledger->mark(id, error), 1000u);
        // One ledger owner per instance; other instances have their own.
        EXPECT_FALSE(NonceLedger::open(tmp.path(), "site1", error));
        EXPECT_NE(error.find("in use"), std::string::npos) << error;
        auto other = NonceLedger::open(tmp.path(), "site2", error);
        ASSERT_TRUE(other) << error;
        EXPECT_EQ(other->mark(id, error), 0u);
    }  // "crash": the objects just go away
    auto reopened = NonceLedger::open(tmp.path(), "site1", error);
    ASSERT_TRUE(reopened) << error;
    EXPECT_EQ(reopened->mark(id, error), 1000u);
}

TEST(NonceLedger, ACorruptFileIsAnErrorNotAGuess) {
    test::TempDir tmp;
    const auto id = nonce_space_id(kKey, kSalt, 1);
    std::string error;
    auto ledger = NonceLedger::open(tmp.path(), "site1", error);
    ASSERT_TRUE(ledger) << error;
    std::ofstream(tmp.path() / "site1" / ("nonce-" + to_hex(id))) << "mcsec-nonce-ledger 1\n12x\n";
    EXPECT_FALSE(ledger->mark(id, error));
    EXPECT_NE(error.find("not a nonce ledger file"), std::string::npos) << error;
    EXPECT_FALSE(ledger->raise(id, 5000, error));
}

TEST(NonceLedger, AnUnusableDirectoryIsNamedWithTheReason) {
    test::TempDir tmp;
    std::ofstream(tmp.path() / "file") << "x";
    std::string error;
    EXPECT_FALSE(NonceLedger::open(tmp.path() / "file" / "state", "site1", error));
    EXPECT_NE(error.find((tmp.path() / "file" / "state").string()), std::string::npos) << error;
    EXPECT_NE(error.find("Not a directory"), std::string::npos) << error;
    // A ledger directory others can read is refused, not silently used.
    std::filesystem::create_directories(tmp.path() / "open" / "site1");
    chmod((tmp.path() / "open" / "site1").c_str(), 0755);
    EXPECT_FALSE(NonceLedger::open(tmp.path() / "open", "site1", error));
    EXPECT_NE(error.find("mode 0700"), std::string::npos) << error;
    EXPECT_FALSE(NonceLedger::open("relative/dir", "site1", error));
}

// --- SeqReserver on a real region ---------------------------------------------------------------

class Reserver : public ::testing::Test {
  protected:
    void SetUp() override {
        instance_ = "nonce" + std::to_string(getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name();
        instance_.resize(std::min<size_t>(instance_.size(), 32));
        create_region();
    }
    void TearDown() override { shm::Region::remove(instance_); }

    void create_region() {
        shm::Region::remove(instance_);
        shm::Geometry g;
        g.sa_slots = 16;
        g.spd_entries = 16;
        g.max_senders = 4;
        g.replay_window = 64;
        g.lcores = 1;
        std::string error;
        region_ = shm::Region::create(instance_, g, error);
        ASSERT_TRUE(region_) << error;
    }

    shm::SaSpec spec(uint32_t spi, std::span<const uint8_t> key = kKey, bool esn = true) {
        shm::SaSpec s;
        s.spi = spi;
        s.key = key;
        s.salt = kSalt;
        s.direction = shm::kOutbound | shm::kInbound;
        s.esn = esn;
        s.sender_id = 1;
        s.replay_window = 64;
        s.max_senders = 4;
        s.tunnel_source = test::ip("192.0.2.1");
        s.tunnel_destination = test::ip("239.255.1.1");
        s.red_group = test::ip("239.1.1.1");
        return s;
    }

    uint32_t add(const shm::SaSpec& s) {
        std::string error;
        auto writer = shm::SaTableWriter::acquire(*region_, error);
        EXPECT_TRUE(writer) << error;
        auto slot = writer->add_sa(s, error);
        EXPECT_TRUE(slot) << error;
        return slot.value_or(0);
    }

    esp::OutboundSaRuntime& runtime(uint32_t slot) { return region_->runtime(slot).outbound; }

    // What the lcores do: encrypt `count` packets on the slot; returns the sequence numbers
    // that left (the IV counter) and how many were dropped for want of a reservation.
    std::vector<uint64_t> send(uint32_t slot, int count, uint64_t* not_reserved = nullptr) {
        auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
        SaCache cache(*region_, *engine);
        esp::EspEncap encap(*engine);
        std::vector<uint64_t> sent;
        for (int i = 0; i < count; ++i) {
            test::TestPacket p(test::udp_packet("10.1.0.1", "239.1.1.1", 20));
            esp::PacketBuffer* pkts[1] = {p.ptr()};
            esp::OutboundSa* sas[1] = {cache.outbound(slot)};
            esp::DropReason reasons[1];
            if (encap.process(pkts, sas, reasons, 0) == 1) {
                const uint64_t iv = esp::load_be64(p.buffer().data() + 20 + 8);
                sent.push_back(iv & ((uint64_t{1} << 48) - 1));
            } else if (reasons[0] == esp::DropReason::SeqNotReserved && not_reserved) {
                ++*not_reserved;
            }
        }
        return sent;
    }

    std::string instance_;
    std::unique_ptr<shm::Region> region_;
    test::TempDir state_;
    std::vector<std::string> log_;
    SeqReserver::Log logger() {
        return [this](const std::string& line) { log_.push_back(line); };
    }
};

TEST_F(Reserver, NothingIsSentBeforeTheLedgerHasItAndTheNextBlockComesAhead) {
    const uint32_t slot = add(spec(0x1000));
    EXPECT_EQ(runtime(slot).seq_limit, 0u) << "a new slot may not send";
    uint64_t dropped = 0;
    EXPECT_TRUE(send(slot, 3, &dropped).empty());
    EXPECT_EQ(dropped, 3u);
    EXPECT_EQ(runtime(slot).last_seq, 0u) << "drops consume no numbers";

    std::string error;
    auto ledger = NonceLedger::open(state_.path(), instance_, error);
    ASSERT_TRUE(ledger) << error;
    SeqReserver reserver(*region_, ledger.get(), logger(), 1000);
    const auto pass = reserver.poll();
    EXPECT_EQ(pass.outbound, 1u);
    EXPECT_EQ(pass.ready, 1u);
    EXPECT_EQ(runtime(slot).seq_limit, 1000u);
    const auto file = ledger->directory() / ("nonce-" + to_hex(nonce_space_id(kKey, kSalt, 1)));
    EXPECT_EQ(read_file(file), "mcsec-nonce-ledger 1\n1000\n");
    EXPECT_EQ(send(slot, 3), (std::vector<uint64_t>{1, 2, 3}));

    runtime(slot).last_seq = 500;  // half a block left: not yet
    EXPECT_EQ(reserver.poll().written, 0u);
    EXPECT_EQ(runtime(slot).seq_limit, 1000u);
    runtime(slot).last_seq = 501;
    EXPECT_EQ(reserver.poll().written, 1u);
    EXPECT_EQ(runtime(slot).seq_limit, 1501u);
    EXPECT_EQ(read_file(file), "mcsec-nonce-ledger 1\n1501\n");
    EXPECT_TRUE(log_.empty());
}

// The bug this guards against: manual keys, the region created afresh (a reboot), and the same
// (SPI, IV) pairs again under the same key.
TEST_F(Reserver, AfterACrashAndAFreshRegionEveryNumberIsNew) {
    std::set<uint64_t> ivs;
    uint64_t sent_total = 0;
    for (int boot = 0; boot < 5; ++boot) {
        SCOPED_TRACE(boot);
        create_region();  // what every reboot does: /dev/shm is empty
        const uint32_t slot = add(spec(0x1000));
        std::string error;
        auto ledger = NonceLedger::open(state_.path(), instance_, error);
        ASSERT_TRUE(ledger) << error;
        SeqReserver reserver(*region_, ledger.get(), logger(), 64);
        reserver.poll();  // before the lcores start
        // Traffic, with the reserver running between bursts, then a crash at a random point:
        // the objects vanish without any shutdown.
        for (int burst = 0; burst < 3 + boot; ++burst) {
            for (const uint64_t seq : send(slot, 20)) {
                EXPECT_TRUE(ivs.insert(seq).second) << "sequence number (IV) " << seq << " reused";
                ++sent_total;
            }
            reserver.poll();
        }
        EXPECT_LE(runtime(slot).last_seq, runtime(slot).seq_limit + 1);
    }
    EXPECT_EQ(sent_total, ivs.size());
    EXPECT_EQ(sent_total, 20u * (3 + 4 + 5 + 6 + 7)) << "the reserver kept ahead of the traffic";
}

TEST_F(Reserver, ReattachTakesTheLargerOfRegionAndLedger) {
    const uint32_t slot = add(spec(0x1000));
    std::string error;
    {
        auto ledger = NonceLedger::open(state_.path(), instance_, error);
        ASSERT_TRUE(ledger) << error;
        SeqReserver(*region_, ledger.get(), logger(), 100).poll();
        EXPECT_EQ(runtime(slot).seq_limit, 100u);
    }
    // A dataplane restart keeps the region: the ledger's mark (100) is above last_seq (0).
    {
        auto ledger = NonceLedger::open(state_.path(), instance_, error);
        ASSERT_TRUE(ledger) << error;
        SeqReserver(*region_, ledger.get(), logger(), 100).poll();
        EXPECT_EQ(runtime(slot).last_seq, 100u);
        EXPECT_EQ(runtime(slot).seq_limit, 200u);
    }
    // An emptied state directory: the region's last_seq still counts.
    runtime(slot).last_seq = 150;
    test::TempDir other;
    auto ledger = NonceLedger::open(other.path(), instance_, error);
    ASSERT_TRUE(ledger) << error;
    SeqReserver(*region_, ledger.get(), logger(), 100).poll();
    EXPECT_EQ(runtime(slot).last_seq, 150u);
    EXPECT_EQ(runtime(slot).seq_limit, 250u);
}

TEST_F(Reserver, WithoutALedgerNothingIsSent) {
    const uint32_t slot = add(spec(0x1000));
    runtime(slot).seq_limit = 1u << 20;  // left by an earlier run: revoked
    SeqReserver reserver(*region_, nullptr, logger());
    const auto pass = reserver.poll();
    EXPECT_EQ(pass.outbound, 1u);
    EXPECT_EQ(pass.ready, 0u);
    EXPECT_EQ(runtime(slot).seq_limit, 0u);
    uint64_t dropped = 0;
    EXPECT_TRUE(send(slot, 4, &dropped).empty());
    EXPECT_EQ(dropped, 4u);
    reserver.poll();
    ASSERT_EQ(log_.size(), 1u) << "said once, not every pass";
    EXPECT_NE(log_[0].find("spi 0x00001000"), std::string::npos) << log_[0];
    EXPECT_NE(log_[0].find("no nonce ledger"), std::string::npos) << log_[0];
}

TEST_F(Reserver, TheLimitStopsAtTheSasLastSequenceNumber) {
    const uint32_t slot = add(spec(0x1000, kKey, false));  // no ESN: 2^32 - 1
    runtime(slot).last_seq = esp::kMaxSeqNoEsn - 10;
    std::string error;
    auto ledger = NonceLedger::open(state_.path(), instance_, error);
    ASSERT_TRUE(ledger) << error;
    SeqReserver reserver(*region_, ledger.get(), logger(), 1000);
    reserver.poll();
    EXPECT_EQ(runtime(slot).seq_limit, esp::kMaxSeqNoEsn);
    EXPECT_EQ(send(slot, 12).size(), 10u);  // then seq_exhausted, as before
    EXPECT_TRUE(runtime(slot).hard_expired);
    EXPECT_EQ(reserver.poll().written, 0u);
}

TEST_F(Reserver, OneNonceSpaceOneSlot) {
    const uint32_t first = add(spec(0x1000));
    // The writer refuses a second outbound SA with the same key, salt and sender ID.
    std::string error;
    {
        auto writer = shm::SaTableWriter::acquire(*region_, error);
        ASSERT_TRUE(writer) << error;
        EXPECT_FALSE(writer->add_sa(spec(0x2000), error));
        EXPECT_NE(error.find("same key, salt and sender ID"), std::string::npos) << error;
        EXPECT_EQ(error.find(hex(kKey)), std::string::npos);
    }
    // The reserver is the backstop for a slot that got there anyway (here: forged in place).
    auto other_key = kKey;
    other_key[0] ^= 0xff;
    const uint32_t second = add(spec(0x2000, other_key));
    std::copy(kKey.begin(), kKey.end(), region_->control(second).key);
    auto ledger = NonceLedger::open(state_.path(), instance_, error);
    ASSERT_TRUE(ledger) << error;
    SeqReserver reserver(*region_, ledger.get(), logger(), 100);
    const auto pass = reserver.poll();
    EXPECT_EQ(pass.outbound, 2u);
    EXPECT_EQ(pass.ready, 1u);
    EXPECT_EQ(runtime(first).seq_limit, 100u);
    EXPECT_EQ(runtime(second).seq_limit, 0u);
    ASSERT_EQ(log_.size(), 1u);
    EXPECT_NE(log_[0].find("refused"), std::string::npos) << log_[0];
    // Once the first is retired, the second continues above everything the first could use.
    runtime(first).last_seq = 60;
    {
        auto writer = shm::SaTableWriter::acquire(*region_, error);
        ASSERT_TRUE(writer) << error;
        writer->retire_sa(first);
    }
    reserver.poll();
    EXPECT_GE(runtime(second).last_seq, 100u);
    EXPECT_EQ(runtime(second).seq_limit, runtime(second).last_seq + 100);
}

TEST_F(Reserver, ARetiredSlotWaitsForTheReserversQuiescentPoint) {
    const uint32_t slot = add(spec(0x1000));
    region_->header().dataplane_pid.store(getpid());  // "a dataplane is attached"
    std::string error;
    auto writer = shm::SaTableWriter::acquire(*region_, error);
    ASSERT_TRUE(writer) << error;
    // The reserver is in the middle of a walk (it may hold the slot).
    region_->header().reserver.online.store(1);
    ASSERT_TRUE(writer->retire_sa(slot));
    EXPECT_EQ(writer->reclaim(), 0u);
    SeqReserver reserver(*region_, nullptr, logger());
    reserver.poll();                   // ends with a quiescent point, offline
    EXPECT_EQ(writer->reclaim(), 2u);  // the slot and its SAD entry
    region_->header().dataplane_pid.store(0);
}

}  // namespace
}  // namespace mcsec::dataplane
