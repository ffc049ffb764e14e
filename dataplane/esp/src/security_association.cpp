#include "mcsec/esp/security_association.hpp"

#include <algorithm>
#include <bit>

#include "mcsec/esp/outer_header.hpp"

namespace mcsec::esp {

bool SourcePrefix::contains(const IpAddress& a) const {
    uint32_t bits = length;
    for (size_t i = 0; i < a.bytes.size() && bits > 0; ++i) {
        const uint32_t take = bits >= 8 ? 8 : bits;
        const uint8_t mask = static_cast<uint8_t>(0xff00u >> take);
        if ((a.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

namespace {
constexpr size_t words_for_bytes(size_t bytes) {
    return (bytes + 7) / 8;
}
uint32_t index_slots(uint32_t max_senders) {
    return std::bit_ceil(max_senders * 2);
}
}  // namespace

size_t SenderWindows::block_words(uint32_t max_senders, uint32_t window_size) {
    max_senders = std::clamp<uint32_t>(max_senders, 1, kMaxSendersPerSa);
    return 1 + words_for_bytes(index_slots(max_senders) * sizeof(uint32_t)) +
           size_t{max_senders} * ReplayWindow::storage_words(window_size);
}

SenderWindows::SenderWindows(uint64_t* block, uint32_t max_senders, uint32_t window_size,
                             bool initialize) {
    max_senders = std::clamp<uint32_t>(max_senders, 1, kMaxSendersPerSa);
    max_senders_ = max_senders;
    window_size_ = window_size;
    window_words_ = ReplayWindow::storage_words(window_size);
    const uint32_t slots = index_slots(max_senders);
    index_mask_ = slots - 1;
    used_ = block;
    index_ = reinterpret_cast<uint32_t*>(block + 1);
    windows_ = block + 1 + words_for_bytes(slots * sizeof(uint32_t));
    // Zero is an empty index slot, an unused window and a count of none.
    if (initialize) std::fill(block, block + block_words(max_senders, window_size), 0);
    first_ = ReplayWindow(windows_, window_size);
}

ReplayWindow SenderWindows::window(uint32_t number) const {
    return ReplayWindow(windows_ + size_t{number} * window_words_, first_.window_size_,
                        first_.word_mask_);
}

uint32_t SenderWindows::count() const {
    const uint64_t used = std::atomic_ref<const uint64_t>(*used_).load(std::memory_order_relaxed);
    return static_cast<uint32_t>(std::min<uint64_t>(used, max_senders_));
}

namespace {
uint32_t sender_of(uint32_t entry) {
    return entry >> 16;
}
uint32_t window_of(uint32_t entry) {
    return (entry & 0xffff) - 1;
}
}  // namespace

ReplayWindow SenderWindows::find(uint16_t sender_id) const {
    for (uint32_t slot = (sender_id * 2654435761u) & index_mask_;;
         slot = (slot + 1) & index_mask_) {
        const uint32_t entry =
            std::atomic_ref<const uint32_t>(index_[slot]).load(std::memory_order_acquire);
        if (entry == 0) return {};
        if (sender_of(entry) == sender_id) return window(window_of(entry));
    }
}

ReplayWindow SenderWindows::find_or_add(uint16_t sender_id) {
    // The index has twice as many slots as windows, so a probe always ends at an empty slot
    // or at the sender. A window number is taken before the slot is claimed; if another lcore
    // adds the same sender meanwhile, the number is handed back when nobody took a later one.
    // Windows are zero from the SA's creation and never reused, so publishing the index word
    // publishes a ready window.
    std::atomic_ref<uint64_t> used(*used_);
    int64_t taken = -1;
    for (uint32_t slot = (sender_id * 2654435761u) & index_mask_;;
         slot = (slot + 1) & index_mask_) {
        std::atomic_ref<uint32_t> entry_ref(index_[slot]);
        uint32_t entry = entry_ref.load(std::memory_order_acquire);
        if (entry == 0) {
            if (taken < 0) {
                const uint64_t number = used.fetch_add(1, std::memory_order_relaxed);
                if (number >= max_senders_) return {};  // all taken (count() clamps)
                taken = static_cast<int64_t>(number);
            }
            const uint32_t mine = uint32_t{sender_id} << 16 | static_cast<uint32_t>(taken + 1);
            if (entry_ref.compare_exchange_strong(entry, mine, std::memory_order_acq_rel)) {
                return window(static_cast<uint32_t>(taken));
            }
            // Lost the slot: `entry` is now what the winner wrote.
        }
        if (sender_of(entry) == sender_id) {
            if (taken >= 0) {
                uint64_t expected = static_cast<uint64_t>(taken) + 1;
                used.compare_exchange_strong(expected, static_cast<uint64_t>(taken),
                                             std::memory_order_relaxed);
            }
            return window(window_of(entry));
        }
    }
}

InboundSa::InboundSa(uint32_t max_senders, uint32_t window_size)
    : own_window_block(SenderWindows::block_words(max_senders, window_size)) {
    senders = SenderWindows(own_window_block.data(), max_senders, window_size, true);
}

InboundSa::InboundSa(uint32_t max_senders, uint32_t window_size, InboundSaRuntime* external_runtime,
                     uint64_t* external_window_block, bool initialize)
    : runtime(external_runtime),
      senders(external_window_block, max_senders, window_size, initialize) {
    if (initialize) *runtime = InboundSaRuntime{};
}

std::unique_ptr<OutboundSa> make_outbound_sa(crypto::AeadEngine& engine,
                                             const GroupSaParams& params,
                                             const ExternalRuntime& external) {
    auto sa = std::make_unique<OutboundSa>();
    if (external.outbound != nullptr) {
        sa->runtime = external.outbound;
        if (external.initialize) *sa->runtime = OutboundSaRuntime{};
    }
    sa->key = engine.make_key(params.algorithm, params.key);
    if (!sa->key) return nullptr;
    sa->spi = params.spi;
    sa->salt = params.salt;
    sa->esn = params.esn;
    sa->sender_id = params.sender_id;
    sa->max_seq = params.esn ? kMaxSeqEsn : kMaxSeqNoEsn;
    sa->rekey_seq = rekey_point(sa->max_seq);
    sa->red_group = params.red_group;
    sa->red_source = params.red_source;
    sa->outer_family = params.tunnel_destination.family();
    sa->tunnel_source = params.tunnel_source;
    sa->tunnel_destination = params.tunnel_destination;
    sa->outer_ttl = params.outer_ttl;
    sa->copy_dscp = params.copy_dscp;
    sa->lifetime = params.lifetime;
    sa->created_at_seconds = params.created_at_seconds;
    build_outer_template(*sa);
    return sa;
}

std::unique_ptr<InboundSa> make_inbound_sa(crypto::AeadEngine& engine, const GroupSaParams& params,
                                           const ExternalRuntime& external) {
    auto sa = external.inbound != nullptr
                  ? std::make_unique<InboundSa>(params.max_senders, params.replay_window,
                                                external.inbound, external.window_block,
                                                external.initialize)
                  : std::make_unique<InboundSa>(params.max_senders, params.replay_window);
    sa->key = engine.make_key(params.algorithm, params.key);
    if (!sa->key) return nullptr;
    sa->spi = params.spi;
    sa->salt = params.salt;
    sa->esn = params.esn;
    sa->replay_check = params.replay_check;
    sa->tunnel_destination = params.tunnel_destination;
    sa->red_group = params.red_group;
    sa->red_source = params.red_source;
    sa->lifetime = params.lifetime;
    sa->created_at_seconds = params.created_at_seconds;
    return sa;
}

}  // namespace mcsec::esp
