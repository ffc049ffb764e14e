#include "mcsec/shm/sa_table.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <thread>

#include <openssl/crypto.h>

namespace mcsec::shm {

namespace {

// A removed index entry: readers skip it; the writer may reuse it after a grace period.
constexpr uint32_t kReusable = 0xfffffffeu;

uint32_t sad_hash(uint32_t spi, const uint8_t* destination) {
    uint64_t low;
    std::memcpy(&low, destination + 8, 8);
    return static_cast<uint32_t>(((uint64_t{spi} ^ low) * 0x9e3779b97f4a7c15ULL) >> 32);
}

// SPD keys: (kind, group, source masked to its length, length). The group record's key is
// the group alone (source zero, length kRecordLength, which no policy entry has).
constexpr uint8_t kRecordLength = 0xff;

uint32_t spd_hash(const esp::IpAddress& group, const esp::IpAddress& source, uint8_t length) {
    uint64_t h = group.high_half() * 0x9e3779b97f4a7c15ULL ^ group.low_half();
    h = (h ^ source.high_half()) * 0xc2b2ae3d27d4eb4fULL;
    h = (h ^ source.low_half() ^ length) * 0x165667b19e3779f9ULL;
    return static_cast<uint32_t>((h ^ h >> 29) * 0x9e3779b97f4a7c15ULL >> 32);
}

// The 16-byte address with every bit past `length` cleared.
esp::IpAddress masked(const esp::IpAddress& a, unsigned length) {
    // Masks in network order, then in the byte order of an 8-byte load.
    auto half_mask = [](unsigned bits) -> uint64_t {
        const uint64_t m = bits == 0 ? 0 : bits >= 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - bits);
        return std::endian::native == std::endian::little ? __builtin_bswap64(m) : m;
    };
    const uint64_t high = a.high_half() & half_mask(length);
    const uint64_t low = a.low_half() & half_mask(length > 64 ? length - 64 : 0);
    esp::IpAddress out;
    std::memcpy(out.bytes.data(), &high, 8);
    std::memcpy(out.bytes.data() + 8, &low, 8);
    return out;
}

// The word and bit of a prefix length in a group record (layout.hpp).
std::atomic<uint64_t>& length_word(SpdEntry& record, unsigned length, uint64_t& bit) {
    if (length == 0) {
        bit = 1;
        return record.value;
    }
    if (length > 64) {
        bit = uint64_t{1} << (kMaxPrefixLength - length);
        return record.lengths[0];
    }
    bit = uint64_t{1} << (64 - length);
    return record.lengths[1];
}

struct Selector {
    esp::IpAddress source;  // masked
    uint8_t length = 0;
};

std::optional<Selector> selector_of(const std::optional<esp::SourcePrefix>& source) {
    if (!source || source->length == 0) return Selector{};
    if (source->length > kMaxPrefixLength) return std::nullopt;
    return Selector{masked(source->address, source->length), source->length};
}

bool same_key(const SpdEntry& e, uint32_t kind, const esp::IpAddress& group,
              const esp::IpAddress& source, uint8_t length) {
    if (std::memcmp(e.group, group.bytes.data(), 16) != 0) return false;
    return kind == kSpdGroup ||
           (e.length == length && std::memcmp(e.source, source.bytes.data(), 16) == 0);
}

bool dataplane_alive(const RegionHeader& h) {
    const int32_t pid = h.dataplane_pid.load(std::memory_order_acquire);
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace

// The nonce space of an outbound SA: algorithm, key, salt and sender ID. A hash for the
// writer's index only; equality is always checked on the slot's bytes.
uint64_t SaTableWriter::nonce_space_hash(uint8_t algorithm, std::span<const uint8_t> key,
                                         const uint8_t* salt, uint16_t sender_id) {
    uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
    auto mix = [&h](uint8_t b) { h = (h ^ b) * 0x100000001b3ULL; };
    mix(algorithm);
    for (const uint8_t b : key) mix(b);
    for (uint32_t i = 0; i < esp::kSaltLen; ++i) mix(salt[i]);
    mix(static_cast<uint8_t>(sender_id >> 8));
    mix(static_cast<uint8_t>(sender_id));
    return h;
}

uint64_t SaTableWriter::slot_nonce_space(uint32_t slot) {
    const SaControl& c = region_.control(slot);
    const size_t key_length = c.algorithm == 0 ? 16 : 32;
    return nonce_space_hash(c.algorithm, {c.key, key_length}, c.salt, c.sender_id);
}

bool SaTableWriter::active_outbound(uint32_t slot) {
    const SaControl& c = region_.control(slot);
    return c.state.load(std::memory_order_acquire) == static_cast<uint32_t>(SlotState::Active) &&
           (c.direction & kOutbound) != 0;
}

esp::GroupSaParams params_from_control(const SaControl& c, std::array<uint8_t, 32>& key_out) {
    esp::GroupSaParams p;
    p.spi = c.spi;
    p.algorithm =
        c.algorithm == 0 ? crypto::AeadAlgorithm::AesGcm128 : crypto::AeadAlgorithm::AesGcm256;
    std::memcpy(key_out.data(), c.key, key_out.size());
    p.key = {key_out.data(), crypto::key_length(p.algorithm)};
    std::memcpy(p.salt.data(), c.salt, esp::kSaltLen);
    p.esn = c.esn != 0;
    p.replay_check = c.replay_check != 0;
    p.sender_id = c.sender_id;
    p.outer_ttl = c.outer_ttl;
    p.copy_dscp = c.copy_dscp != 0;
    p.replay_window = c.replay_window;
    p.max_senders = c.max_senders;
    p.tunnel_source = esp::IpAddress::from_v6(c.tunnel_source);
    p.tunnel_destination = esp::IpAddress::from_v6(c.tunnel_destination);
    p.red_group = esp::IpAddress::from_v6(c.red_group);
    if (c.red_source_length > 0) {
        p.red_source =
            esp::SourcePrefix{esp::IpAddress::from_v6(c.red_source), c.red_source_length};
    }
    p.lifetime = c.lifetime;
    p.created_at_seconds = c.created_at_seconds;
    return p;
}

std::unique_ptr<SaTableWriter> SaTableWriter::acquire(Region& region, std::string& error) {
    RegionHeader& h = region.header();
    const std::string instance(h.instance, strnlen(h.instance, sizeof(h.instance)));
    const std::string path = Region::path_of(instance);
    // The lock lives on the region file itself: one lock per region, whoever maps it.
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
        error = "cannot open " + path + " to take the SA table writer lock: " + strerror(errno);
        if (fd >= 0) close(fd);
        return nullptr;
    }
    if (st.st_dev != region.file_device() || st.st_ino != region.file_inode()) {
        error = path + " was removed or replaced since this process attached to it";
        close(fd);
        return nullptr;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int why = errno;
        close(fd);
        if (why == EWOULDBLOCK) {
            const int32_t holder = h.writer_pid.load(std::memory_order_acquire);
            error = "another SA table writer (pid " + std::to_string(holder) + ") holds " + path +
                    ": only one of mcsec-controld, 'mcsecctl sa' and the dataplane's manual "
                    "keying may write the SA tables at a time";
        } else {
            error = "cannot lock " + path + ": " + strerror(why);
        }
        return nullptr;
    }
    return std::unique_ptr<SaTableWriter>(new SaTableWriter(region, fd));
}

SaTableWriter::~SaTableWriter() {
    int32_t self = getpid();
    region_.header().writer_pid.compare_exchange_strong(self, 0, std::memory_order_release);
    close(lock_fd_);  // releases the flock
}

SaTableWriter::SaTableWriter(Region& region, int lock_fd) : region_(region), lock_fd_(lock_fd) {
    RegionHeader& h = region_.header();
    h.writer_pid.store(getpid(), std::memory_order_release);
    // A restarted writer rebuilds its bookkeeping from the region: free slots are free, and
    // anything retired or removed by its predecessor starts a fresh grace period now.
    const auto now = snapshot();
    for (uint32_t s = h.geometry.sa_slots; s-- > 0;) {
        const auto state =
            static_cast<SlotState>(region_.control(s).state.load(std::memory_order_acquire));
        if (state == SlotState::Free) free_.push_back(s);
        if (active_outbound(s)) outbound_.emplace(slot_nonce_space(s), s);
        if (state == SlotState::Retired) pending_.push_back({Pending::Kind::Slot, s, now});
    }
    for (uint32_t i = 0; i < h.sad_buckets; ++i) {
        if (region_.sad()[i].tag.load(std::memory_order_relaxed) == kTombstone) {
            pending_.push_back({Pending::Kind::SadEntry, i, now});
        }
    }
    for (uint32_t i = 0; i < h.spd_buckets; ++i) {
        if (region_.spd()[i].tag.load(std::memory_order_relaxed) == kTombstone) {
            pending_.push_back({Pending::Kind::SpdEntry, i, now});
        }
    }
    rebuild_spd_bookkeeping();
}

void SaTableWriter::rebuild_spd_bookkeeping() {
    // Count the policy entries per group and length, then make every group record say
    // exactly that: a predecessor that died between two steps of set_policy or remove_policy
    // may have left a bit set with no entry (harmless, cleared here) or a record without
    // entries; a bit missing for an entry cannot happen (bits are set first), but is set here.
    const uint32_t buckets = region_.header().spd_buckets;
    SpdEntry* spd = region_.spd();
    for (uint32_t i = 0; i < buckets; ++i) {
        if (spd[i].tag.load(std::memory_order_relaxed) != kSpdPolicy) continue;
        std::array<uint8_t, 16> group;
        std::memcpy(group.data(), spd[i].group, 16);
        auto [it, inserted] = spd_lengths_.try_emplace(group);
        if (inserted) it->second.fill(0);
        ++it->second[spd[i].length];
    }
    for (const auto& [bytes, counts] : spd_lengths_) {
        SpdEntry* record = group_record(esp::IpAddress::from_v6(bytes.data()), true);
        if (record == nullptr) continue;  // index full: lookups of this group find nothing
        for (unsigned length = 0; length <= kMaxPrefixLength; ++length) {
            uint64_t bit;
            std::atomic<uint64_t>& word = length_word(*record, length, bit);
            if (counts[length] > 0) word.fetch_or(bit, std::memory_order_release);
        }
    }
    for (uint32_t i = 0; i < buckets; ++i) {
        if (spd[i].tag.load(std::memory_order_relaxed) != kSpdGroup) continue;
        std::array<uint8_t, 16> group;
        std::memcpy(group.data(), spd[i].group, 16);
        const auto it = spd_lengths_.find(group);
        if (it == spd_lengths_.end()) {
            remove_spd_entry(spd[i]);
            continue;
        }
        for (unsigned length = 0; length <= kMaxPrefixLength; ++length) {
            uint64_t bit;
            std::atomic<uint64_t>& word = length_word(spd[i], length, bit);
            if (it->second[length] == 0) word.fetch_and(~bit, std::memory_order_release);
        }
    }
}

void SaTableWriter::publish() {
    region_.header().generation.fetch_add(1, std::memory_order_release);
}

std::optional<uint32_t> SaTableWriter::add_sa(const SaSpec& spec, std::string& error) {
    const Geometry& g = region_.geometry();
    if (spec.key.size() != crypto::key_length(spec.algorithm)) {
        error = "key length does not match the algorithm";
        return std::nullopt;
    }
    if (spec.replay_window > g.replay_window || spec.max_senders > g.max_senders ||
        spec.max_senders == 0) {
        error = "replay window or senders per SA exceed the region's geometry";
        return std::nullopt;
    }
    SaTableReader reader(region_);
    if ((spec.direction & kInbound) &&
        reader.find_inbound(spec.spi, spec.tunnel_destination) != kNoSlot) {
        error = "an inbound SA with this SPI and destination exists";
        return std::nullopt;
    }
    const uint8_t algorithm = spec.algorithm == crypto::AeadAlgorithm::AesGcm128 ? 0 : 1;
    const uint64_t space = nonce_space_hash(algorithm, spec.key, spec.salt.data(), spec.sender_id);
    if (spec.direction & kOutbound) {
        // nonce = salt || sender ID || counter, and every new SA counts from 1 (or from the
        // nonce ledger's mark): two Active outbound SAs with one key, salt and sender ID would
        // repeat (key, nonce) pairs, whatever their SPIs.
        const auto [first, last] = outbound_.equal_range(space);
        for (auto it = first; it != last;) {
            const uint32_t other = it->second;
            if (!active_outbound(other) || slot_nonce_space(other) != space) {
                it = outbound_.erase(it);  // retired since
                continue;
            }
            const SaControl& o = region_.control(other);
            const size_t key_length = spec.key.size();
            if (o.algorithm == algorithm && o.sender_id == spec.sender_id &&
                CRYPTO_memcmp(o.key, spec.key.data(), key_length) == 0 &&
                CRYPTO_memcmp(o.salt, spec.salt.data(), esp::kSaltLen) == 0) {
                error = "the outbound SA in slot " + std::to_string(other) + " (SPI " +
                        std::to_string(o.spi) +
                        ") has the same key, salt and sender ID: two SAs would share one AES-GCM "
                        "nonce space";
                return std::nullopt;
            }
            ++it;
        }
    }
    if (free_.empty()) reclaim();
    if (free_.empty()) {
        error = "no free SA slot (" + std::to_string(g.sa_slots) + " in use or retiring)";
        return std::nullopt;
    }
    // Find the SAD bucket first so a full index fails before the slot is touched.
    const uint32_t mask = region_.header().sad_buckets - 1;
    uint32_t bucket = kNoSlot;
    if (spec.direction & kInbound) {
        for (uint32_t i = sad_hash(spec.spi, spec.tunnel_destination.bytes.data()) & mask, n = 0;
             n <= mask; i = (i + 1) & mask, ++n) {
            const uint32_t tag = region_.sad()[i].tag.load(std::memory_order_relaxed);
            if (tag == 0 || tag == kReusable) {
                bucket = i;
                break;
            }
        }
        if (bucket == kNoSlot) {
            error = "SAD index full";
            return std::nullopt;
        }
    }
    const uint32_t slot = free_.back();
    free_.pop_back();

    // The slot is Free: no reader looks at it, so plain writes are fine until the release.
    SaControl& c = region_.control(slot);
    c.spi = spec.spi;
    c.algorithm = algorithm;
    c.direction = spec.direction;
    c.esn = spec.esn;
    c.replay_check = spec.replay_check;
    c.sender_id = spec.sender_id;
    c.outer_ttl = spec.outer_ttl;
    c.copy_dscp = spec.copy_dscp;
    c.replay_window = spec.replay_window;
    c.max_senders = spec.max_senders;
    std::memset(c.key, 0, sizeof(c.key));
    std::memcpy(c.key, spec.key.data(), spec.key.size());
    std::memcpy(c.salt, spec.salt.data(), esp::kSaltLen);
    std::memcpy(c.tunnel_source, spec.tunnel_source.bytes.data(), 16);
    std::memcpy(c.tunnel_destination, spec.tunnel_destination.bytes.data(), 16);
    std::memcpy(c.red_group, spec.red_group.bytes.data(), 16);
    std::memset(c.red_source, 0, 16);
    c.red_source_length = 0;
    if (spec.red_source) {
        std::memcpy(c.red_source, spec.red_source->address.bytes.data(), 16);
        c.red_source_length = spec.red_source->length;
    }
    c.lifetime = spec.lifetime;
    c.created_at_seconds = spec.created_at_seconds;
    // Runtime state starts clean for every new SA: sequence numbers from 1, empty windows, and
    // nothing reserved: the dataplane's SeqReserver raises seq_limit once the nonce ledger has
    // the SA's numbers on disk (continuing above any earlier use of the same nonce space).
    SaRuntime& r = region_.runtime(slot);
    r.outbound = esp::OutboundSaRuntime{};
    r.outbound.seq_limit = 0;
    r.inbound = esp::InboundSaRuntime{};
    esp::SenderWindows(region_.window_block(slot), spec.max_senders, spec.replay_window, true);

    c.version.fetch_add(1, std::memory_order_relaxed);
    c.state.store(static_cast<uint32_t>(SlotState::Active), std::memory_order_release);

    if (spec.direction & kOutbound) outbound_.emplace(space, slot);
    if (bucket != kNoSlot) {
        SadEntry& e = region_.sad()[bucket];
        e.spi = spec.spi;
        std::memcpy(e.destination, spec.tunnel_destination.bytes.data(), 16);
        e.tag.store(slot + 1, std::memory_order_release);
    }
    publish();
    return slot;
}

bool SaTableWriter::retire_sa(uint32_t slot) {
    if (slot >= region_.geometry().sa_slots) return false;
    SaControl& c = region_.control(slot);
    if (c.state.load(std::memory_order_relaxed) != static_cast<uint32_t>(SlotState::Active)) {
        return false;
    }
    // Unpublish first, then take the quiescent snapshot: a reader that looks after the
    // snapshot sees the slot gone, and one that looked before has to pass a quiescent point.
    // (The other order let a reader that started between snapshot and unpublish keep the slot
    // past its grace period.)
    const uint32_t mask = region_.header().sad_buckets - 1;
    std::vector<uint32_t> tombstones;
    for (uint32_t i = 0; i <= mask; ++i) {
        SadEntry& e = region_.sad()[i];
        if (e.tag.load(std::memory_order_relaxed) == slot + 1) {
            e.tag.store(kTombstone, std::memory_order_release);
            tombstones.push_back(i);
        }
    }
    if (c.direction & kOutbound) {
        const auto [first, last] = outbound_.equal_range(slot_nonce_space(slot));
        for (auto it = first; it != last; ++it) {
            if (it->second == slot) {
                outbound_.erase(it);
                break;
            }
        }
    }
    c.state.store(static_cast<uint32_t>(SlotState::Retired), std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const auto epochs = snapshot();
    for (const uint32_t i : tombstones) pending_.push_back({Pending::Kind::SadEntry, i, epochs});
    pending_.push_back({Pending::Kind::Slot, slot, epochs});
    publish();
    return true;
}

SaTableWriter::SpdProbe SaTableWriter::probe_spd(uint32_t kind, const esp::IpAddress& group,
                                                 const esp::IpAddress& source, uint8_t length) {
    // One walk of the probe sequence finds the entry with this key if there is one, and the
    // first entry a new one could take (empty or reusable) otherwise.
    SpdProbe probe;
    const uint32_t mask = region_.header().spd_buckets - 1;
    const uint8_t hashed_length = kind == kSpdGroup ? kRecordLength : length;
    for (uint32_t i = spd_hash(group, source, hashed_length) & mask, n = 0; n <= mask;
         i = (i + 1) & mask, ++n) {
        SpdEntry& e = region_.spd()[i];
        const uint32_t tag = e.tag.load(std::memory_order_relaxed);
        if ((tag == 0 || tag == kReusable) && probe.free == nullptr) probe.free = &e;
        if (tag == 0) break;
        if (tag == kind && same_key(e, kind, group, source, length)) {
            probe.match = &e;
            break;
        }
    }
    return probe;
}

SpdEntry* SaTableWriter::group_record(const esp::IpAddress& group, bool create) {
    const SpdProbe probe = probe_spd(kSpdGroup, group, esp::IpAddress{}, 0);
    if (probe.match != nullptr || !create || probe.free == nullptr) return probe.match;
    // A record with no lengths yet: readers that find it probe nothing.
    SpdEntry& r = *probe.free;
    r.length = 0;
    std::memcpy(r.group, group.bytes.data(), 16);
    std::memset(r.source, 0, 16);
    r.value.store(0, std::memory_order_relaxed);
    r.lengths[0].store(0, std::memory_order_relaxed);
    r.lengths[1].store(0, std::memory_order_relaxed);
    r.tag.store(kSpdGroup, std::memory_order_release);
    return &r;
}

void SaTableWriter::remove_spd_entry(SpdEntry& entry) {
    entry.tag.store(kTombstone, std::memory_order_release);
    // Unpublish first, then snapshot the lcores (see retire_sa).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    pending_.push_back(
        {Pending::Kind::SpdEntry, static_cast<uint32_t>(&entry - region_.spd()), snapshot()});
}

bool SaTableWriter::set_policy(const esp::IpAddress& group,
                               const std::optional<esp::SourcePrefix>& source, PolicyAction action,
                               uint32_t outbound_slot) {
    const auto selector = selector_of(source);
    if (!selector) return false;
    const uint64_t value = pack_policy(action, outbound_slot);
    if (SpdEntry* e = probe_spd(kSpdPolicy, group, selector->source, selector->length).match) {
        e->value.store(value, std::memory_order_release);  // the atomic switch
        publish();
        return true;
    }
    std::array<uint8_t, 16> key;
    std::memcpy(key.data(), group.bytes.data(), 16);
    auto [counts, first] = spd_lengths_.try_emplace(key);
    if (first) counts->second.fill(0);
    SpdEntry* record = group_record(group, true);
    // Probed after the record went in: it may have taken the bucket the entry would have had.
    SpdEntry* e =
        record ? probe_spd(kSpdPolicy, group, selector->source, selector->length).free : nullptr;
    if (e == nullptr) {  // index full
        if (first) {
            if (record != nullptr) remove_spd_entry(*record);
            spd_lengths_.erase(counts);
        }
        return false;
    }
    // The length first, then the entry: a reader that can see the entry probes its length.
    uint64_t bit;
    length_word(*record, selector->length, bit).fetch_or(bit, std::memory_order_release);
    ++counts->second[selector->length];
    e->length = selector->length;
    std::memcpy(e->group, group.bytes.data(), 16);
    std::memcpy(e->source, selector->source.bytes.data(), 16);
    e->value.store(value, std::memory_order_relaxed);
    e->tag.store(kSpdPolicy, std::memory_order_release);
    publish();
    return true;
}

bool SaTableWriter::remove_policy(const esp::IpAddress& group,
                                  const std::optional<esp::SourcePrefix>& source) {
    const auto selector = selector_of(source);
    if (!selector) return false;
    SpdEntry* e = probe_spd(kSpdPolicy, group, selector->source, selector->length).match;
    if (e == nullptr) return false;
    remove_spd_entry(*e);
    // The entry first, then its length (once no entry of that length is left), then the
    // record (once the group has no entry left).
    std::array<uint8_t, 16> key;
    std::memcpy(key.data(), group.bytes.data(), 16);
    const auto counts = spd_lengths_.find(key);
    SpdEntry* record = group_record(group, false);
    if (counts != spd_lengths_.end() && --counts->second[selector->length] == 0 &&
        record != nullptr) {
        uint64_t bit;
        length_word(*record, selector->length, bit).fetch_and(~bit, std::memory_order_release);
    }
    if (counts != spd_lengths_.end() && std::all_of(counts->second.begin(), counts->second.end(),
                                                    [](uint32_t n) { return n == 0; })) {
        spd_lengths_.erase(counts);
        if (record != nullptr) remove_spd_entry(*record);
    }
    publish();
    return true;
}

std::vector<SaTableWriter::PolicyKey> SaTableWriter::policies() {
    std::vector<PolicyKey> out;
    const SpdEntry* spd = region_.spd();
    for (uint32_t i = 0; i < region_.header().spd_buckets; ++i) {
        if (spd[i].tag.load(std::memory_order_relaxed) != kSpdPolicy) continue;
        PolicyKey key{esp::IpAddress::from_v6(spd[i].group), std::nullopt};
        if (spd[i].length > 0) {
            key.source = esp::SourcePrefix{esp::IpAddress::from_v6(spd[i].source), spd[i].length};
        }
        out.push_back(key);
    }
    return out;
}

LcoreState& SaTableWriter::participant(uint32_t i) {
    return i < region_.geometry().lcores ? region_.lcore(i) : region_.header().reserver;
}

std::vector<uint64_t> SaTableWriter::snapshot() {
    // Every lcore, then the dataplane's sequence-number reserver.
    const uint32_t n = region_.geometry().lcores + 1;
    std::vector<uint64_t> epochs(n);
    for (uint32_t i = 0; i < n; ++i) {
        epochs[i] = participant(i).quiescent.load(std::memory_order_acquire);
    }
    return epochs;
}

bool SaTableWriter::grace_period_over(const std::vector<uint64_t>& epochs) {
    if (!dataplane_alive(region_.header())) return true;
    for (uint32_t i = 0; i < epochs.size(); ++i) {
        LcoreState& l = participant(i);
        if (l.online.load(std::memory_order_acquire) == 0) continue;
        if (l.quiescent.load(std::memory_order_acquire) == epochs[i]) return false;
    }
    return true;
}

uint32_t SaTableWriter::reclaim() {
    uint32_t freed = 0;
    for (size_t k = 0; k < pending_.size();) {
        Pending& p = pending_[k];
        if (!grace_period_over(p.epochs)) {
            ++k;
            continue;
        }
        switch (p.kind) {
            case Pending::Kind::Slot: {
                SaControl& c = region_.control(p.index);
                // No lcore can hold the key any more: wipe it before the slot is reusable.
                crypto::secure_zero(c.key, sizeof(c.key));
                crypto::secure_zero(c.salt, sizeof(c.salt));
                c.state.store(static_cast<uint32_t>(SlotState::Free), std::memory_order_release);
                free_.push_back(p.index);
                break;
            }
            case Pending::Kind::SadEntry:
                region_.sad()[p.index].tag.store(kReusable, std::memory_order_release);
                break;
            case Pending::Kind::SpdEntry:
                region_.spd()[p.index].tag.store(kReusable, std::memory_order_release);
                break;
        }
        pending_[k] = std::move(pending_.back());
        pending_.pop_back();
        ++freed;
    }
    return freed;
}

bool SaTableWriter::synchronize(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        reclaim();
        if (pending_.empty()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

uint32_t SaTableReader::find_inbound(uint32_t spi, const esp::IpAddress& destination) const {
    const uint32_t mask = header_.sad_buckets - 1;
    const SadEntry* sad = region_.sad();
    for (uint32_t i = sad_hash(spi, destination.bytes.data()) & mask, n = 0; n <= mask;
         i = (i + 1) & mask, ++n) {
        const uint32_t tag = sad[i].tag.load(std::memory_order_acquire);
        if (tag == 0) return kNoSlot;
        if (tag == kTombstone || tag == kReusable) continue;
        if (sad[i].spi == spi &&
            std::memcmp(sad[i].destination, destination.bytes.data(), 16) == 0) {
            return tag - 1;
        }
    }
    return kNoSlot;
}

const SpdEntry* SaTableReader::find_spd(uint32_t kind, const esp::IpAddress& group,
                                        const esp::IpAddress& source, uint8_t length) const {
    const uint32_t mask = header_.spd_buckets - 1;
    const SpdEntry* spd = region_.spd();
    const uint8_t hashed_length = kind == kSpdGroup ? kRecordLength : length;
    for (uint32_t i = spd_hash(group, source, hashed_length) & mask, n = 0; n <= mask;
         i = (i + 1) & mask, ++n) {
        const uint32_t tag = spd[i].tag.load(std::memory_order_acquire);
        if (tag == 0) return nullptr;
        if (tag == kind && same_key(spd[i], kind, group, source, length)) return &spd[i];
    }
    return nullptr;
}

std::optional<uint64_t> SaTableReader::find_policy(const esp::IpAddress& group,
                                                   const esp::IpAddress& source) const {
    const SpdEntry* record = find_spd(kSpdGroup, group, esp::IpAddress{}, 0);
    if (record == nullptr) return std::nullopt;
    // Longest first: lengths[0] holds 128..65 from bit 0 up, lengths[1] 64..1.
    for (unsigned word = 0; word < 2; ++word) {
        for (uint64_t bits = record->lengths[word].load(std::memory_order_acquire); bits != 0;
             bits &= bits - 1) {
            const auto length =
                static_cast<uint8_t>(kMaxPrefixLength - 64 * word - std::countr_zero(bits));
            if (const SpdEntry* e = find_spd(kSpdPolicy, group, masked(source, length), length)) {
                return e->value.load(std::memory_order_acquire);
            }
        }
    }
    if (record->value.load(std::memory_order_acquire) & 1) {
        if (const SpdEntry* e = find_spd(kSpdPolicy, group, esp::IpAddress{}, 0)) {
            return e->value.load(std::memory_order_acquire);
        }
    }
    return std::nullopt;
}

std::optional<uint64_t> SaTableReader::find_policy_entry(
    const esp::IpAddress& group, const std::optional<esp::SourcePrefix>& source) const {
    const auto selector = selector_of(source);
    if (!selector) return std::nullopt;
    const SpdEntry* e = find_spd(kSpdPolicy, group, selector->source, selector->length);
    if (e == nullptr) return std::nullopt;
    return e->value.load(std::memory_order_acquire);
}

void SaTableReader::set_online(uint32_t lcore, bool online) {
    LcoreState& l = region_.lcore(lcore);
    quiescent(lcore);
    l.online.store(online ? 1 : 0, std::memory_order_release);
}

}  // namespace mcsec::shm
