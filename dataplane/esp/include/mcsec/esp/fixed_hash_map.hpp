// A fixed-capacity open-addressing hash map for the fast path's lookup tables: sized once on
// the control path, then find/insert/erase never allocate. Linear probing with tombstones;
// the table is kept at most half full, so a lookup touches one or two slots in practice.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

namespace mcsec::esp {

template <typename Key, typename Value, typename Hash>
class FixedHashMap {
  public:
    explicit FixedHashMap(uint32_t capacity)
        : slots_(std::bit_ceil(std::max<uint32_t>(capacity, 1) * 2)),
          mask_(static_cast<uint32_t>(slots_.size() - 1)),
          capacity_(capacity) {}

    uint32_t size() const { return size_; }
    uint32_t capacity() const { return capacity_; }

    const Value* find(const Key& key) const {
        const uint32_t mask = static_cast<uint32_t>(slots_.size() - 1);
        for (uint32_t i = Hash{}(key)&mask, probes = 0; probes < slots_.size();
             i = (i + 1) & mask, ++probes) {
            const Slot& s = slots_[i];
            if (s.state == State::Empty) return nullptr;
            if (s.state == State::Used && s.key == key) return &s.value;
        }
        return nullptr;
    }

    // Inserts or replaces. Returns false when the map already holds `capacity` entries.
    bool insert(const Key& key, const Value& value) {
        if (Value* existing = const_cast<Value*>(find(key))) {
            *existing = value;
            return true;
        }
        if (size_ == capacity_) return false;
        const uint32_t mask = static_cast<uint32_t>(slots_.size() - 1);
        uint32_t i = Hash{}(key)&mask;
        while (slots_[i].state == State::Used) i = (i + 1) & mask;
        slots_[i] = Slot{key, value, State::Used};
        ++size_;
        return true;
    }

    bool erase(const Key& key) {
        Value* v = const_cast<Value*>(find(key));
        if (v == nullptr) return false;
        Slot* s = reinterpret_cast<Slot*>(reinterpret_cast<char*>(v) - offsetof(Slot, value));
        s->state = State::Deleted;
        s->value = Value{};
        --size_;
        return true;
    }

  private:
    enum class State : uint8_t { Empty, Used, Deleted };
    struct Slot {
        Key key{};
        Value value{};
        State state = State::Empty;
    };
    std::vector<Slot> slots_;
    uint32_t mask_;  // slots_.size() - 1, a power of two minus one
    uint32_t capacity_;
    uint32_t size_ = 0;
};

}  // namespace mcsec::esp
