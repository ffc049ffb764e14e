// The first stage every datagram on the black socket goes through, before any protocol parses
// it for real or verifies a signature (docs/protocol.md, "Admission on the black socket").
// controld is single-threaded, and one UDP socket carries IDP hellos, MIKE and registration, so
// a flood of forged datagrams that each cost a signature verification would starve the real
// peers' hellos until discovery declared them dead. The checks, cheapest first:
//
//   1. a token bucket per source address (one datagram costs one token);
//   2. the datagram's claims, read without cryptography (datagram_classifier.hpp): a claim of
//      this node's own id, a hello whose black address field is not its UDP source, or any
//      message claiming an Up peer from another address than that peer's is dropped;
//   3. a datagram from an Up peer at its known address goes through (it is never starved by
//      strangers); one that would need signature work from anyone else (an unknown or Down node:
//      a first hello, a restart) costs more tokens of its source's bucket and one token of a
//      global signature-work budget per second.
//
// Datagrams that their protocol refuses before any signature work (malformed, unknown magic,
// MIKE from a node discovery does not report up) pass after step 1. Every outcome is counted.
// No sockets and no clock of its own: `now` comes with each call, so the unit tests run it on a
// simulated timeline.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/idp/peer_table.hpp"
#include "mcsec/control/idp/timing.hpp"
#include "token_bucket.hpp"

namespace mcsec::control {

// One row per outcome: the enumerator, the counter name the operator API shows, and what it
// means. The first three admit the datagram; every other one drops it.
#define MCSEC_ADMISSION_VERDICTS(X)                                                              \
    X(AdmittedKnownPeer, "admitted_known_peer", "from an Up peer at its known black address")    \
    X(AdmittedBudgeted, "admitted_budgeted",                                                     \
      "from an unknown or Down node, within its source's share and the signature-work budget")   \
    X(AdmittedUnsigned, "admitted_without_signature_work",                                       \
      "refused by its protocol before any signature work (malformed, unknown, MIKE from a node " \
      "not up)")                                                                                 \
    X(SourceRateLimited, "source_rate_limited",                                                  \
      "more datagrams (or signature work) from this source address than its rate allows")        \
    X(BadSource, "bad_source", "a source address that does not parse")                           \
    X(ClaimsOwnNode, "claims_own_node", "claims to come from this node")                         \
    X(HelloAddressMismatch, "hello_address_mismatch",                                            \
      "a hello whose black address field is not its UDP source address")                         \
    X(PeerAddressMismatch, "peer_address_mismatch",                                              \
      "claims an Up peer but comes from another address than that peer's black address")         \
    X(SignatureBudgetExhausted, "signature_budget_exhausted",                                    \
      "would need signature work from a node not up, with the global budget spent")

enum class AdmissionVerdict : std::uint8_t {
#define MCSEC_ADMISSION_ENUMERATOR(name, counter, text) name,
    MCSEC_ADMISSION_VERDICTS(MCSEC_ADMISSION_ENUMERATOR)
#undef MCSEC_ADMISSION_ENUMERATOR
};

inline constexpr std::size_t kAdmissionVerdictCount = 0
#define MCSEC_ADMISSION_COUNT(name, counter, text) +1
    MCSEC_ADMISSION_VERDICTS(MCSEC_ADMISSION_COUNT)
#undef MCSEC_ADMISSION_COUNT
    ;

// The counter name ("source_rate_limited").
std::string_view to_string(AdmissionVerdict verdict) noexcept;
std::string_view describe(AdmissionVerdict verdict) noexcept;
bool admitted(AdmissionVerdict verdict) noexcept;

struct AdmissionLimits {
    // Per source address. A peer sends a hello per interval and a few MIKE and registration
    // messages per epoch; a hundred a second is far above that, and still bounds what one
    // address can make this node parse.
    double source_rate = 100;
    double source_burst = 200;
    // What a datagram that needs signature work from a node not up costs its source, in
    // datagrams: one address gets at most source_rate / cost such verifications a second, so
    // no single address takes the whole global budget from joining peers.
    double unverified_cost = 10;
    // Signature verifications a second for datagrams from nodes not up, all sources together:
    // a few percent of one core, whatever the flood.
    double signature_rate = 200;
    double signature_burst = 400;
    // Source addresses with a bucket of their own. Beyond it, new sources share one bucket (a
    // spoofed-address flood cannot grow the table); buckets that refilled are forgotten.
    std::size_t max_sources = 4096;
};

class DatagramAdmission {
  public:
    // The peer discovery knows by node id, or nullptr (idp::PeerTable::find).
    using PeerLookup = std::function<const idp::Peer*(std::string_view node_id)>;

    DatagramAdmission(NodeId self, AdmissionLimits limits, idp::TimePoint now);

    // `source` is the UDP source address as text ("192.0.2.2", "2001:db8::2"; a "%scope"
    // suffix is ignored).
    AdmissionVerdict admit(std::span<const std::uint8_t> datagram, std::string_view source,
                           const PeerLookup& peers, idp::TimePoint now);

    std::uint64_t count(AdmissionVerdict verdict) const noexcept {
        return counters_[static_cast<std::size_t>(verdict)];
    }
    std::size_t tracked_sources() const noexcept { return sources_.size(); }

  private:
    AdmissionVerdict judge(std::span<const std::uint8_t> datagram, std::string_view source,
                           const PeerLookup& peers, idp::TimePoint now);
    TokenBucket& bucket_for(std::string_view source, idp::TimePoint now);

    NodeId self_;
    AdmissionLimits limits_;
    std::map<std::string, TokenBucket, std::less<>> sources_;
    TokenBucket overflow_;  // shared by the sources beyond max_sources
    TokenBucket signature_budget_;
    idp::TimePoint last_sweep_;
    std::array<std::uint64_t, kAdmissionVerdictCount> counters_{};
};

}  // namespace mcsec::control
