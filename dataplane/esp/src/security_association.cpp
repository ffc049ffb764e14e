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
    if (max_senders == 0) max_senders = 1;
    return 1 + words_for_bytes(index_slots(max_senders) * sizeof(int32_t)) +
           words_for_bytes(max_senders * sizeof(uint16_t)) +
           size_t{max_senders} * ReplayWindow::storage_words(window_size);
}

SenderWindows::SenderWindows(uint64_t* block, uint32_t max_senders, uint32_t window_size,
                             bool initialize) {
    if (max_senders == 0) max_senders = 1;
    max_senders_ = max_senders;
    window_size_ = window_size;
    window_words_ = ReplayWindow::storage_words(window_size);
    const uint32_t slots = index_slots(max_senders);
    index_mask_ = slots - 1;
    used_ = block;
    index_ = reinterpret_cast<int32_t*>(block + 1);
    uint64_t* after_index = block + 1 + words_for_bytes(slots * sizeof(int32_t));
    sender_ids_ = reinterpret_cast<uint16_t*>(after_index);
    windows_ = after_index + words_for_bytes(max_senders * sizeof(uint16_t));
    if (initialize) {
        std::fill(block, block + block_words(max_senders, window_size), 0);
        std::fill(index_, index_ + slots, -1);
    }
    views_.resize(max_senders);
    for (uint32_t w = 0; w < count() && w < max_senders; ++w) bind(w);
}

void SenderWindows::bind(uint32_t window) {
    views_[window] = ReplayWindow(windows_ + size_t{window} * window_words_, window_size_);
}

uint32_t SenderWindows::slot_of(uint16_t sender_id) const {
    uint32_t slot = (sender_id * 2654435761u) & index_mask_;
    while (index_[slot] >= 0 && sender_ids_[static_cast<uint32_t>(index_[slot])] != sender_id) {
        slot = (slot + 1) & index_mask_;
    }
    return slot;
}

ReplayWindow* SenderWindows::find(uint16_t sender_id) {
    const int32_t w = index_[slot_of(sender_id)];
    return w < 0 ? nullptr : &views_[static_cast<uint32_t>(w)];
}

ReplayWindow* SenderWindows::find_or_add(uint16_t sender_id) {
    const uint32_t slot = slot_of(sender_id);
    if (index_[slot] >= 0) return &views_[static_cast<uint32_t>(index_[slot])];
    const auto used = static_cast<uint32_t>(*used_);
    if (used == max_senders_) return nullptr;
    // Fill the window's ID and view before the index entry makes it findable.
    sender_ids_[used] = sender_id;
    bind(used);
    *used_ = used + 1;
    index_[slot] = static_cast<int32_t>(used);
    return &views_[used];
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
