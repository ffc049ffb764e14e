#include "mcsec/shm/region.hpp"

#include "mcsec/crypto/key_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <new>

namespace mcsec::shm {

namespace {

uint64_t align_up(uint64_t v, uint64_t a) {
    return (v + a - 1) / a * a;
}

struct Offsets {
    uint64_t lcore, counters, sad, spd, slots, slot_stride, window_words, total;
    uint32_t sad_buckets, spd_buckets;
};

Offsets compute_offsets(const Geometry& g) {
    Offsets o{};
    o.lcore = align_up(sizeof(RegionHeader), kCacheLine);
    o.counters = o.lcore + uint64_t{g.lcores} * sizeof(LcoreState);
    o.sad = align_up(o.counters + uint64_t{g.lcores} * sizeof(Counters), kCacheLine);
    o.sad_buckets = std::bit_ceil(std::max<uint32_t>(g.sa_slots, 1) * 2);
    o.spd = align_up(o.sad + uint64_t{o.sad_buckets} * sizeof(SadEntry), kCacheLine);
    o.spd_buckets = std::bit_ceil(std::max<uint32_t>(g.spd_entries, 1) * 2);
    o.slots = align_up(o.spd + uint64_t{o.spd_buckets} * sizeof(SpdEntry), 4096);
    o.window_words = esp::SenderWindows::block_words(g.max_senders, g.replay_window);
    o.slot_stride =
        align_up(sizeof(SaControl) + sizeof(SaRuntime) + o.window_words * 8, kCacheLine);
    o.total = align_up(o.slots + uint64_t{g.sa_slots} * o.slot_stride, 4096);
    return o;
}

bool valid_instance(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;  // as the config allows
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string shm_name(std::string_view instance) {
    return "/mcsec." + std::string(instance);
}

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

std::string Region::path_of(std::string_view instance) {
    return "/dev/shm" + shm_name(instance);
}

uint64_t Region::size_for(const Geometry& geometry) {
    return compute_offsets(geometry).total;
}

std::unique_ptr<Region> Region::create(std::string_view instance, const Geometry& geometry,
                                       std::string& error) {
    if (!valid_instance(instance)) {
        error = "instance name must be 1-32 characters of [A-Za-z0-9_-]";
        return nullptr;
    }
    if (geometry.sa_slots == 0 || geometry.lcores == 0 || geometry.max_senders == 0 ||
        geometry.replay_window < esp::kMinReplayWindow ||
        geometry.replay_window > esp::kMaxReplayWindow) {
        error = "region geometry out of range";
        return nullptr;
    }
    const Offsets o = compute_offsets(geometry);
    // umask must not widen 0600; the explicit fchmod below makes sure of the mode.
    const int fd = shm_open(shm_name(instance).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        error = errno_text(("create " + path_of(instance)).c_str());
        return nullptr;
    }
    struct stat st {};
    if (fchmod(fd, 0600) != 0 || ftruncate(fd, static_cast<off_t>(o.total)) != 0 ||
        fstat(fd, &st) != 0) {
        error = errno_text(("size " + path_of(instance)).c_str());
        close(fd);
        shm_unlink(shm_name(instance).c_str());
        return nullptr;
    }
    void* base = mmap(nullptr, o.total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        error = errno_text("mmap");
        shm_unlink(shm_name(instance).c_str());
        return nullptr;
    }
    // ftruncate gave us zeroed memory: every atomic starts at 0, every slot Free, every index
    // entry empty. Fill in the header last, magic very last, so a concurrent attach that sees
    // the magic sees a complete header.
    auto* h = new (base) RegionHeader{};
    h->layout_version = kLayoutVersion;
    h->header_bytes = sizeof(RegionHeader);
    h->region_bytes = o.total;
    h->geometry = geometry;
    std::memcpy(h->instance, instance.data(), instance.size());
    h->lcore_offset = o.lcore;
    h->counters_offset = o.counters;
    h->sad_offset = o.sad;
    h->spd_offset = o.spd;
    h->slots_offset = o.slots;
    h->sad_buckets = o.sad_buckets;
    h->spd_buckets = o.spd_buckets;
    h->slot_stride = o.slot_stride;
    h->window_block_words = o.window_words;
    std::atomic_thread_fence(std::memory_order_release);
    h->magic = kMagic;
    auto region = std::unique_ptr<Region>(
        new Region(static_cast<uint8_t*>(base), o.total, st.st_dev, st.st_ino));
    region->protect_keys();
    return region;
}

std::unique_ptr<Region> Region::attach(std::string_view instance, std::string& error) {
    if (!valid_instance(instance)) {
        error = "instance name must be 1-32 characters of [A-Za-z0-9_-]";
        return nullptr;
    }
    const std::string path = path_of(instance);
    const int fd = shm_open(shm_name(instance).c_str(), O_RDWR, 0);
    if (fd < 0) {
        error = errno_text(("open " + path).c_str());
        return nullptr;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        error = errno_text(("stat " + path).c_str());
        close(fd);
        return nullptr;
    }
    // The region holds keys: refuse one that others can read or that someone else owns.
    if ((st.st_mode & 0777) != 0600 || st.st_uid != geteuid()) {
        error = path + ": must be owned by this user with mode 0600 (it holds keys)";
        close(fd);
        return nullptr;
    }
    if (static_cast<uint64_t>(st.st_size) < sizeof(RegionHeader)) {
        error = path + ": too small to be an mcsec region";
        close(fd);
        return nullptr;
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        error = errno_text("mmap");
        return nullptr;
    }
    auto region = std::unique_ptr<Region>(
        new Region(static_cast<uint8_t*>(base), size, st.st_dev, st.st_ino));
    region->protect_keys();
    const RegionHeader& h = region->header();
    if (h.magic != kMagic) {
        error = path + ": not an mcsec region (bad magic)";
        return nullptr;
    }
    if (h.layout_version != kLayoutVersion || h.header_bytes != sizeof(RegionHeader)) {
        error = path + ": layout version " + std::to_string(h.layout_version) +
                ", this build understands " + std::to_string(kLayoutVersion);
        return nullptr;
    }
    const Offsets o = compute_offsets(h.geometry);
    if (h.region_bytes != size || o.total != size || h.slot_stride != o.slot_stride ||
        h.slots_offset != o.slots || h.sad_offset != o.sad || h.spd_offset != o.spd) {
        error = path + ": header does not match its size (corrupt region?)";
        return nullptr;
    }
    return region;
}

std::unique_ptr<Region> Region::attach_or_create(std::string_view instance,
                                                 const Geometry& geometry, bool& created,
                                                 std::string& error) {
    created = false;
    std::string attach_error;
    if (auto region = attach(instance, attach_error)) {
        if (region->geometry() == geometry) return region;
        error = path_of(instance) +
                ": exists with another geometry; stop its users and remove it to resize";
        return nullptr;
    }
    if (errno != ENOENT && access(path_of(instance).c_str(), F_OK) == 0) {
        error = attach_error;
        return nullptr;
    }
    created = true;
    return create(instance, geometry, error);
}

bool Region::remove(std::string_view instance) {
    return valid_instance(instance) && shm_unlink(shm_name(instance).c_str()) == 0;
}

void Region::protect_keys() {
    locked_ = crypto::protect_key_mapping(base_, size_, lock_note_);
}

Region::~Region() {
    if (locked_) munlock(base_, size_);
    munmap(base_, size_);
}

}  // namespace mcsec::shm
