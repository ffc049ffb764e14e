#include "mcsec/dataplane/seq_reserver.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "mcsec/esp/security_association.hpp"

namespace mcsec::dataplane {

namespace {

// After a failed ledger read or write, the next try waits this long (no I/O storm while a
// disk is full or read-only).
constexpr auto kRetryInterval = std::chrono::seconds(1);

// last_seq = max(last_seq, value); the lcores add to it concurrently.
uint64_t raise_to(uint64_t& counter, uint64_t value) {
    std::atomic_ref<uint64_t> ref(counter);
    uint64_t seen = ref.load(std::memory_order_relaxed);
    while (seen < value && !ref.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
    return std::max(seen, value);
}

}  // namespace

SeqReserver::SeqReserver(shm::Region& region, NonceLedger* ledger, Log log, uint64_t block)
    : region_(region),
      ledger_(ledger),
      log_(std::move(log)),
      block_(std::max<uint64_t>(block, 2)),
      slots_(region.geometry().sa_slots) {}

SeqReserver::~SeqReserver() {
    region_.header().reserver.online.store(0, std::memory_order_release);
}

std::string SeqReserver::describe(uint32_t slot) const {
    char text[64];
    std::snprintf(text, sizeof text, "outbound SA spi 0x%08x (slot %u)", region_.control(slot).spi,
                  slot);
    return text;
}

void SeqReserver::report(Tracked& t, const std::string& message) {
    if (!t.reported && log_) log_(message);
    t.reported = true;
}

void SeqReserver::publish(uint32_t slot, uint64_t limit) {
    std::atomic_ref<uint64_t>(region_.runtime(slot).outbound.seq_limit)
        .store(limit, std::memory_order_release);
}

bool SeqReserver::extend(uint32_t slot, Tracked& t, uint64_t last, Pass& pass) {
    const uint64_t target = last >= t.max_seq ? t.max_seq : std::min(t.max_seq, last + block_);
    if (target <= t.limit) return true;
    std::string error;
    if (!ledger_->raise(t.id, target, error)) {
        report(t, describe(slot) +
                      ": cannot reserve sequence numbers in the nonce ledger: " + error +
                      (t.limit > 0 ? "; it stops sending at " + std::to_string(t.limit)
                                   : std::string("; it does not send")));
        t.retry_at = std::chrono::steady_clock::now() + kRetryInterval;
        return false;
    }
    ++pass.written;
    // Durable now: only from here on may the lcores use numbers up to `target`.
    t.limit = target;
    publish(slot, target);
    if (t.reported && log_) {
        log_(describe(slot) + ": sequence numbers reserved again, up to " + std::to_string(target));
    }
    t.reported = false;
    return true;
}

void SeqReserver::first_reservation(uint32_t slot, Tracked& t, Pass& pass) {
    // One nonce space, one sender: a second Active slot with the same key, salt and sender ID
    // would repeat the first one's nonces. The writer refuses such SAs; this is the backstop.
    const auto [owner, claimed] = owners_.emplace(t.id, slot);
    if (!claimed && owner->second != slot) {
        if (t.state != State::Refused) {
            publish(slot, 0);
            t.state = State::Refused;
            if (log_) {
                log_(describe(slot) + ": refused: " + describe(owner->second) +
                     " has the same key, salt and sender ID (one AES-GCM nonce space); it does "
                     "not send");
            }
        }
        return;
    }
    t.state = State::Unreserved;
    if (ledger_ == nullptr) {
        publish(slot, 0);
        report(t, describe(slot) + ": does not send: there is no nonce ledger (see above)");
        return;
    }
    if (std::chrono::steady_clock::now() < t.retry_at) return;
    std::string error;
    const auto mark = ledger_->mark(t.id, error);
    if (!mark) {
        publish(slot, 0);
        report(t, describe(slot) + ": does not send: " + error);
        t.retry_at = std::chrono::steady_clock::now() + kRetryInterval;
        return;
    }
    // Everything up to the mark may have been used by an earlier run under this key.
    const uint64_t last = raise_to(region_.runtime(slot).outbound.last_seq, *mark);
    if (!extend(slot, t, last, pass)) {
        publish(slot, 0);
        return;
    }
    t.state = State::Reserved;
}

SeqReserver::Pass SeqReserver::poll() {
    shm::LcoreState& me = region_.header().reserver;
    // Online before looking at any slot, and visible before the loads below (a writer that
    // retires a slot after this point waits for the quiescent store at the end).
    me.online.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);

    Pass pass;
    for (uint32_t s = 0; s < slots_.size(); ++s) {
        const shm::SaControl& c = region_.control(s);
        Tracked& t = slots_[s];
        const bool active = c.state.load(std::memory_order_acquire) ==
                                static_cast<uint32_t>(shm::SlotState::Active) &&
                            (c.direction & shm::kOutbound) != 0;
        const uint32_t version = c.version.load(std::memory_order_acquire);
        if (t.state != State::Unused && (!active || t.version != version)) {
            // Retired or reused: its numbers are in the ledger; forget it.
            if (const auto it = owners_.find(t.id); it != owners_.end() && it->second == s) {
                owners_.erase(it);
            }
            t = Tracked{};
        }
        if (!active) continue;
        if (t.state == State::Unused) {
            // Control fields do not change while the slot is Active, and it cannot be reused
            // while this walk is online.
            const size_t key_length = c.algorithm == 0 ? 16 : 32;
            t.state = State::Unreserved;
            t.version = version;
            t.id = nonce_space_id({c.key, key_length}, std::span<const uint8_t, 4>(c.salt, 4),
                                  c.sender_id);
            t.max_seq = c.esn ? esp::kMaxSeqEsn : esp::kMaxSeqNoEsn;
        }
        ++pass.outbound;
        if (t.state != State::Reserved) {
            first_reservation(s, t, pass);
        } else if (t.limit < t.max_seq && std::chrono::steady_clock::now() >= t.retry_at) {
            const uint64_t last = esp::load_relaxed(region_.runtime(s).outbound.last_seq);
            if (last + block_ / 2 > t.limit) extend(s, t, last, pass);
        }
        if (t.state == State::Reserved) ++pass.ready;
    }

    me.quiescent.store(me.quiescent.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    me.online.store(0, std::memory_order_release);
    return pass;
}

void SeqReserver::run(const std::atomic<bool>& stop, std::chrono::milliseconds period) {
    while (!stop.load(std::memory_order_relaxed)) {
        poll();
        std::this_thread::sleep_for(period);
    }
}

}  // namespace mcsec::dataplane
