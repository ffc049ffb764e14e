#include "datagram_admission.hpp"

#include <optional>

#include "datagram_classifier.hpp"
#include "mcsec/config/ip_address.hpp"

namespace mcsec::control {

namespace {

struct VerdictRow {
    std::string_view counter;
    std::string_view text;
    bool admits;
};

constexpr std::array<VerdictRow, kAdmissionVerdictCount> kVerdicts{{
#define MCSEC_ADMISSION_ROW(name, counter, text) \
    {counter, text, AdmissionVerdict::name <= AdmissionVerdict::AdmittedUnsigned},
    MCSEC_ADMISSION_VERDICTS(MCSEC_ADMISSION_ROW)
#undef MCSEC_ADMISSION_ROW
}};

std::optional<config::IpAddress> parse_source(std::string_view source) {
    if (const auto scope = source.find('%'); scope != std::string_view::npos) {
        source = source.substr(0, scope);
    }
    return config::IpAddress::parse(source);
}

// Whether the protocol itself refuses these claims before any signature work.
bool refused_unsigned(const DatagramClaims& claims, const idp::Peer* peer) {
    switch (claims.protocol) {
        case DatagramProtocol::Unknown:
        case DatagramProtocol::IdpOther:
            return true;
        case DatagramProtocol::Mike:
            // MIKE takes messages only from the run of a peer that discovery reports up.
            return !claims.parsed || peer == nullptr || peer->state != idp::PeerState::Up;
        case DatagramProtocol::IdpHello:
        case DatagramProtocol::Registration:
        case DatagramProtocol::LkhPush:
        case DatagramProtocol::LkhRegistration:
            // LKH receivers send no hellos (EMCON), so their REGISTERs come from nodes discovery
            // never saw: budgeted signature work, like a first hello.
            return !claims.parsed;
    }
    return false;
}

}  // namespace

std::string_view to_string(AdmissionVerdict verdict) noexcept {
    return kVerdicts[static_cast<std::size_t>(verdict)].counter;
}

std::string_view describe(AdmissionVerdict verdict) noexcept {
    return kVerdicts[static_cast<std::size_t>(verdict)].text;
}

bool admitted(AdmissionVerdict verdict) noexcept {
    return kVerdicts[static_cast<std::size_t>(verdict)].admits;
}

DatagramAdmission::DatagramAdmission(NodeId self, AdmissionLimits limits, idp::TimePoint now)
    : self_(std::move(self)),
      limits_(limits),
      overflow_(limits.source_rate, limits.source_burst, now),
      signature_budget_(limits.signature_rate, limits.signature_burst, now),
      last_sweep_(now) {}

AdmissionVerdict DatagramAdmission::admit(std::span<const std::uint8_t> datagram,
                                          std::string_view source, const PeerLookup& peers,
                                          idp::TimePoint now) {
    const AdmissionVerdict verdict = judge(datagram, source, peers, now);
    ++counters_[static_cast<std::size_t>(verdict)];
    return verdict;
}

AdmissionVerdict DatagramAdmission::judge(std::span<const std::uint8_t> datagram,
                                          std::string_view source, const PeerLookup& peers,
                                          idp::TimePoint now) {
    TokenBucket& bucket = bucket_for(source, now);
    if (!bucket.take(1, now)) return AdmissionVerdict::SourceRateLimited;

    const DatagramClaims claims = classify_datagram(datagram);
    const idp::Peer* peer = claims.parsed ? peers(claims.sender) : nullptr;
    if (refused_unsigned(claims, peer)) return AdmissionVerdict::AdmittedUnsigned;

    const auto from = parse_source(source);
    if (!from) return AdmissionVerdict::BadSource;
    if (claims.sender == self_) return AdmissionVerdict::ClaimsOwnNode;
    // A hello names where its sender is; peers send to that address (registration, ACKs), so
    // one that does not match the packet's source is a forgery or a misconfiguration.
    if (claims.black_address && *claims.black_address != *from) {
        return AdmissionVerdict::HelloAddressMismatch;
    }
    if (peer != nullptr && peer->state == idp::PeerState::Up) {
        // A peer that really moved is heard again once discovery declares it down.
        if (peer->black_address != *from) return AdmissionVerdict::PeerAddressMismatch;
        return AdmissionVerdict::AdmittedKnownPeer;
    }
    // A node not up (a first hello, a restart, a registration from a stranger): signature work
    // a stranger can ask for, so it is paid for by the source and by the global budget.
    if (limits_.unverified_cost > 1 && !bucket.take(limits_.unverified_cost - 1, now)) {
        return AdmissionVerdict::SourceRateLimited;
    }
    if (!signature_budget_.take(1, now)) return AdmissionVerdict::SignatureBudgetExhausted;
    return AdmissionVerdict::AdmittedBudgeted;
}

TokenBucket& DatagramAdmission::bucket_for(std::string_view source, idp::TimePoint now) {
    if (const auto found = sources_.find(source); found != sources_.end()) return found->second;
    if (sources_.size() >= limits_.max_sources && now - last_sweep_ >= std::chrono::seconds(1)) {
        // At most once a second, so a flood of new addresses cannot make every datagram scan.
        last_sweep_ = now;
        for (auto it = sources_.begin(); it != sources_.end();) {
            it = it->second.full(now) ? sources_.erase(it) : std::next(it);
        }
    }
    if (sources_.size() >= limits_.max_sources) return overflow_;
    return sources_
        .emplace(std::string(source), TokenBucket(limits_.source_rate, limits_.source_burst, now))
        .first->second;
}

}  // namespace mcsec::control
