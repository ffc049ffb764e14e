#include "mcsec/esp/security_association.hpp"

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

SenderWindows::SenderWindows(uint32_t max_senders, uint32_t window_size) {
    if (max_senders == 0) max_senders = 1;
    // Keep the index at most half full so probes stay short.
    index_.assign(std::bit_ceil(max_senders * 2), -1);
    sender_ids_.assign(max_senders, 0);
    windows_.reserve(max_senders);
    for (uint32_t i = 0; i < max_senders; ++i) windows_.emplace_back(window_size);
}

uint32_t SenderWindows::slot_of(uint16_t sender_id) const {
    const auto mask = static_cast<uint32_t>(index_.size() - 1);
    uint32_t slot = (sender_id * 2654435761u) & mask;
    while (index_[slot] >= 0 && sender_ids_[static_cast<uint32_t>(index_[slot])] != sender_id) {
        slot = (slot + 1) & mask;
    }
    return slot;
}

ReplayWindow* SenderWindows::find(uint16_t sender_id) {
    const int32_t w = index_[slot_of(sender_id)];
    return w < 0 ? nullptr : &windows_[static_cast<uint32_t>(w)];
}

ReplayWindow* SenderWindows::find_or_add(uint16_t sender_id) {
    const uint32_t slot = slot_of(sender_id);
    if (index_[slot] >= 0) return &windows_[static_cast<uint32_t>(index_[slot])];
    if (used_ == windows_.size()) return nullptr;
    sender_ids_[used_] = sender_id;
    index_[slot] = static_cast<int32_t>(used_);
    return &windows_[used_++];
}

std::unique_ptr<OutboundSa> make_outbound_sa(crypto::AeadEngine& engine,
                                             const GroupSaParams& params) {
    auto sa = std::make_unique<OutboundSa>();
    sa->key = engine.make_key(params.algorithm, params.key);
    if (!sa->key) return nullptr;
    sa->spi = params.spi;
    sa->salt = params.salt;
    sa->esn = params.esn;
    sa->sender_id = params.sender_id;
    sa->max_seq = params.esn ? kMaxSeqEsn : kMaxSeqNoEsn;
    sa->red_group = params.red_group;
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

std::unique_ptr<InboundSa> make_inbound_sa(crypto::AeadEngine& engine,
                                           const GroupSaParams& params) {
    auto sa = std::make_unique<InboundSa>(params.max_senders, params.replay_window);
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
