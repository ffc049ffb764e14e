// The designated sender's LKH engine: admissions, revocations in batch windows, TEK changes,
// periodic State, paced copies.
#include "mcsec/control/lkh/key_distribution.hpp"

#include <algorithm>

#include "mcsec/control/lkh/push_message.hpp"

namespace mcsec::control::lkh {

Duration tek_push_air_time(const DistributionParams& params, const MessageAuthenticator& signer) {
    const auto shape = TreeShape::for_receivers(params.degree, params.max_receivers);
    PushContent sample;
    sample.group_id = params.group_id;
    sample.message_id = 1;
    sample.degree = static_cast<std::uint8_t>(shape ? shape->degree() : 2);
    sample.height = static_cast<std::uint8_t>(shape ? shape->height() : 1);
    sample.tek = WrappedTek{1, 1, std::vector<std::uint8_t>(kMaxTekBytes + 12, 0)};
    const std::size_t bytes = encode_push(sample, signer).size();
    return params.link.air_time(bytes) * std::max(1u, params.copies);
}

std::optional<KeyDistribution> KeyDistribution::create(DistributionParams params,
                                                       const MessageAuthenticator& signer) {
    const auto shape = TreeShape::for_receivers(params.degree, params.max_receivers);
    if (!shape) return std::nullopt;
    auto server = KeyServer::create(*shape, params.group_id, params.first_message_id);
    if (!server) return std::nullopt;
    if (params.max_keys_per_message == 0) {
        params.max_keys_per_message = params.link.bits_per_second < 1'000'000 ? 26 : 1400;
    }
    server->set_max_keys_per_message(params.max_keys_per_message);
    if (params.state_covers == 0) params.state_covers = 1;
    return KeyDistribution(std::move(params), signer, std::move(*server));
}

KeyDistribution::KeyDistribution(DistributionParams params, const MessageAuthenticator& signer,
                                 KeyServer server)
    : params_(std::move(params)),
      signer_(&signer),
      server_(std::move(server)),
      schedule_(params_.link, params_.copies) {}

std::optional<Registration> KeyDistribution::admit(const NodeId& receiver, TimePoint now) {
    if (const auto known = receivers_.find(receiver); known != receivers_.end()) {
        // A re-registration: its old leaf goes, as a removal (it may be a stolen box's
        // identity re-registering; the old keys must not stay valid).
        server_.remove(known->second);
        receivers_.erase(known);
        if (!window_ends_) window_ends_ = now + params_.batch_window;
    }
    auto admission = server_.admit(params_.admission);
    if (!admission) return std::nullopt;
    receivers_[receiver] = admission->leaf;
    ++counters_.admissions;
    Registration out;
    out.leaf = admission->leaf;
    out.individual_key = std::move(admission->individual_key);
    if (params_.admission == KeyServer::PathRenewal::HandOver) {
        const auto seeds = server_.path_seeds(out.leaf);
        out.path_seeds = WipedBuffer(seeds.size() * kSeedBytes);
        for (std::size_t i = 0; i < seeds.size(); ++i) {
            std::ranges::copy(seeds[i], out.path_seeds.slice(i * kSeedBytes, kSeedBytes).begin());
        }
    } else if (!window_ends_) {
        window_ends_ = now + params_.batch_window;
    }
    out.root_version = server_.root_version();
    out.last_message_id = server_.last_message_id();
    out.tree_id = server_.tree_id();
    out.tek_epoch = tek_epoch_;
    out.tek_spi = tek_spi_;
    out.tek = WipedBuffer(tek_.size());
    std::ranges::copy(tek_.view(), out.tek.writable().begin());
    return out;
}

bool KeyDistribution::revoke(const NodeId& receiver, TimePoint now) {
    const auto known = receivers_.find(receiver);
    if (known == receivers_.end()) return false;
    server_.remove(known->second);
    receivers_.erase(known);
    ++counters_.revocations;
    if (!window_ends_) window_ends_ = now + params_.batch_window;
    return true;
}

bool KeyDistribution::needs_new_tek(TimePoint now) const noexcept {
    return server_.removal_pending() && window_ends_ && now >= *window_ends_;
}

std::optional<NodeIndex> KeyDistribution::leaf_of(const NodeId& receiver) const {
    const auto it = receivers_.find(receiver);
    if (it == receivers_.end()) return std::nullopt;
    return it->second;
}

void KeyDistribution::send(const std::vector<PushContent>& messages, TimePoint now) {
    std::vector<std::vector<std::uint8_t>> datagrams;
    for (const PushContent& message : messages) {
        datagrams.push_back(encode_push(message, *signer_));
        recent_ids_.push_back(message.message_id);
        ++counters_.messages;
        if (message.kind == PushKind::State) {
            ++counters_.state_messages;
        } else {
            for (const WrappedKey& key : message.keys) counters_.wraps += key.chained ? 0 : 1;
            counters_.wraps += message.tek ? 1 : 0;
        }
    }
    if (recent_ids_.size() > params_.state_covers) {
        recent_ids_.erase(recent_ids_.begin(),
                          recent_ids_.end() - static_cast<std::ptrdiff_t>(params_.state_covers));
    }
    schedule_.enqueue(std::move(datagrams), now);
}

void KeyDistribution::raise_message_ids() {
    if (params_.message_id_floor) server_.raise_message_ids(params_.message_id_floor());
}

bool KeyDistribution::flush_with(const Tek& tek, TimePoint now) {
    raise_message_ids();
    std::vector<PushContent> messages;
    const FlushError error = server_.flush(tek, messages);
    if (error == FlushError::NothingPending) {
        window_ends_.reset();
        return true;
    }
    if (error != FlushError::Ok) return false;
    window_ends_.reset();
    ++counters_.rekeys;
    send(messages, now);
    if (messages.back().tek) tek_deliverable_at_ = schedule_.drained_at(now);
    next_state_ = now + params_.state_interval;
    return true;
}

bool KeyDistribution::on_tek(const Tek& tek, TimePoint now) {
    if (!flush_with(tek, now)) return false;
    if (announce_tree_) next_state_ = now;  // the tree's first TEK: its State follows at once
    WipedBuffer copy(tek.key_and_salt.size());
    std::ranges::copy(tek.key_and_salt, copy.writable().begin());
    tek_ = std::move(copy);
    tek_epoch_ = tek.epoch;
    tek_spi_ = tek.spi;
    return true;
}

std::vector<std::vector<std::uint8_t>> KeyDistribution::poll(TimePoint now) {
    // Admissions alone flush with the current TEK at the end of their window; a revocation
    // waits for the daemon's new TEK (needs_new_tek).
    if (window_ends_ && now >= *window_ends_ && !server_.removal_pending() && !tek_.empty()) {
        flush_with(Tek{tek_epoch_, tek_spi_, tek_.view()}, now);
    }
    if (!tek_.empty() && now >= next_state_ && !recent_ids_.empty() &&
        (server_.receivers() > 0 || announce_tree_)) {
        raise_message_ids();
        std::vector<PushContent> state;
        const std::uint64_t since = recent_ids_.front() - 1;
        if (server_.state_since(since, state) == FlushError::Ok) send(state, now);
        next_state_ = now + params_.state_interval;
        announce_tree_ = false;
    }
    auto out = schedule_.poll(now);
    counters_.datagrams_sent = schedule_.datagrams_sent();
    counters_.bytes_sent = schedule_.bytes_sent();
    return out;
}

TimePoint KeyDistribution::next_due() const noexcept {
    TimePoint due = schedule_.next_due();
    if (window_ends_ && !server_.removal_pending() && !tek_.empty()) {
        due = std::min(due, *window_ends_);
    }
    if (!tek_.empty()) due = std::min(due, next_state_);
    return due;
}

}  // namespace mcsec::control::lkh
