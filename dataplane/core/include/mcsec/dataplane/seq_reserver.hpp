// Keeps the nonce ledger (nonce_ledger.hpp) ahead of every outbound SA's sequence numbers, off
// the fast path. The lcores never touch a file: encap only compares against seq_limit in the
// SA's shared-memory runtime block and drops above it (seq_not_reserved).
//
// For every Active outbound slot it has not seen yet (or whose version changed), SeqReserver
//   1. computes the slot's nonce-space fingerprint (key, salt, sender ID),
//   2. reads the ledger's mark M and raises last_seq to max(last_seq, M): numbers from an
//      earlier run under the same key (a region created afresh, a reboot) are never used again,
//   3. writes the new limit L = last_seq + block to the ledger (fsync), and only then
//   4. publishes seq_limit = L (release store).
// When last_seq passes L - block/2 it writes and publishes the next block. Limits never exceed
// the SA's largest sequence number (exhaustion is unchanged). A slot whose nonce space another
// Active outbound slot already uses is refused (seq_limit 0); so is every slot while there is no
// ledger (fail closed).
//
// It writes slots' runtime blocks from outside the lcores, so it takes part in grace periods
// (RegionHeader::reserver): online while it walks the slots, a quiescent point after each walk.
// One SeqReserver per region, on one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mcsec/dataplane/nonce_ledger.hpp"
#include "mcsec/shm/region.hpp"

namespace mcsec::dataplane {

// 2^22 sequence numbers per block: 280 ms at 15 Mpps on one SA, and the next block is written
// when half of it is left (140 ms ahead), so a sender at that rate never waits for the disk
// unless one fsync takes longer than that. A restart skips at most one block per SA: 2^-26 of
// an ESN SA's 2^48 numbers; an SA without ESN (2^32) survives 1024 restarts before it needs a
// rekey.
inline constexpr uint64_t kSeqReserveBlock = uint64_t{1} << 22;

class SeqReserver {
  public:
    using Log = std::function<void(const std::string&)>;

    // `ledger` may be null (the state directory is unusable): nothing is reserved and every
    // outbound SA stays unable to send. `log` gets one line per change worth telling.
    SeqReserver(shm::Region& region, NonceLedger* ledger, Log log,
                uint64_t block = kSeqReserveBlock);
    ~SeqReserver();
    SeqReserver(const SeqReserver&) = delete;
    SeqReserver& operator=(const SeqReserver&) = delete;

    struct Pass {
        uint32_t outbound = 0;  // Active outbound slots
        uint32_t ready = 0;     // of those, how many may send (numbers reserved)
        uint32_t written = 0;   // ledger writes in this pass
    };
    // One walk over every slot.
    Pass poll();
    // poll() every `period` until `stop`.
    void run(const std::atomic<bool>& stop, std::chrono::milliseconds period);

  private:
    enum class State : uint8_t { Unused, Unreserved, Reserved, Refused };
    struct Tracked {
        State state = State::Unused;
        uint32_t version = 0;
        NonceSpaceId id{};
        uint64_t limit = 0;     // what this reserver published
        uint64_t max_seq = 0;   // the SA's largest sequence number
        bool reported = false;  // a failure was logged (log once per failure streak)
        std::chrono::steady_clock::time_point retry_at{};  // after a ledger error
    };
    void first_reservation(uint32_t slot, Tracked& t, Pass& pass);
    bool extend(uint32_t slot, Tracked& t, uint64_t last, Pass& pass);
    void publish(uint32_t slot, uint64_t limit);
    void report(Tracked& t, const std::string& message);
    std::string describe(uint32_t slot) const;

    shm::Region& region_;
    NonceLedger* ledger_;
    Log log_;
    uint64_t block_;
    std::vector<Tracked> slots_;
    std::map<NonceSpaceId, uint32_t> owners_;  // nonce space -> the slot that may use it
};

}  // namespace mcsec::dataplane
