// Creating, attaching to and removing the shared-memory region of one appliance instance.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mcsec/shm/layout.hpp"

namespace mcsec::shm {

class Region {
  public:
    // Creates /dev/shm/mcsec.<instance>, mode 0600, formatted for `geometry`. Fails (nullptr,
    // `error` set) if it exists already.
    static std::unique_ptr<Region> create(std::string_view instance, const Geometry& geometry,
                                          std::string& error);
    // Attaches to an existing region after checking its magic, layout version, size, owner and
    // mode (0600); `error` says which check failed.
    static std::unique_ptr<Region> attach(std::string_view instance, std::string& error);
    // Attaches if the region exists and has `geometry`, else creates it. `created` says which.
    static std::unique_ptr<Region> attach_or_create(std::string_view instance,
                                                    const Geometry& geometry, bool& created,
                                                    std::string& error);
    // Removes the region's name; processes attached keep their mapping.
    static bool remove(std::string_view instance);
    static std::string path_of(std::string_view instance);
    // Bytes a region of this geometry takes.
    static uint64_t size_for(const Geometry& geometry);

    ~Region();
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;

    // The mapping holds keys: it is left out of core dumps, and locked in RAM where the memlock
    // limit allows; `lock_note` says why it could not be locked.
    bool locked() const { return locked_; }
    const std::string& lock_note() const { return lock_note_; }

    RegionHeader& header() { return *reinterpret_cast<RegionHeader*>(base_); }
    const Geometry& geometry() { return header().geometry; }
    LcoreState& lcore(uint32_t i) { return at<LcoreState>(header().lcore_offset)[i]; }
    Counters& counters(uint32_t i) { return at<Counters>(header().counters_offset)[i]; }
    SadEntry* sad() { return at<SadEntry>(header().sad_offset); }
    SpdEntry* spd() { return at<SpdEntry>(header().spd_offset); }
    SaControl& control(uint32_t slot) { return *reinterpret_cast<SaControl*>(slot_base(slot)); }
    SaRuntime& runtime(uint32_t slot) {
        return *reinterpret_cast<SaRuntime*>(slot_base(slot) + sizeof(SaControl));
    }
    uint64_t* window_block(uint32_t slot) {
        return reinterpret_cast<uint64_t*>(slot_base(slot) + sizeof(SaControl) + sizeof(SaRuntime));
    }
    // The region file this mapping came from (st_dev, st_ino when it was created or attached):
    // the name may be removed and re-created while the mapping lives on.
    uint64_t file_device() const { return device_; }
    uint64_t file_inode() const { return inode_; }

  private:
    Region(uint8_t* base, uint64_t size, uint64_t device, uint64_t inode)
        : base_(base), size_(size), device_(device), inode_(inode) {}
    void protect_keys();
    template <typename T>
    T* at(uint64_t offset) {
        return reinterpret_cast<T*>(base_ + offset);
    }
    uint8_t* slot_base(uint32_t slot) {
        return base_ + header().slots_offset + slot * header().slot_stride;
    }

    uint8_t* base_;
    uint64_t size_;
    bool locked_ = false;
    std::string lock_note_;
    uint64_t device_;
    uint64_t inode_;
};

}  // namespace mcsec::shm
