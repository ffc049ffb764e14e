// libFuzzer target: the hello parser on arbitrary datagrams, and the peer table fed with them.
// The table's authenticator accepts every signature so that the fuzzer, which cannot sign,
// still reaches the replay checks and the state machine.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "mcsec/control/idp/hello.hpp"
#include "mcsec/control/idp/peer_table.hpp"

namespace {

class AcceptAllAuthenticator final : public mcsec::control::MessageAuthenticator {
  public:
    const mcsec::control::NodeId& node_id() const noexcept override { return id_; }
    std::span<const std::uint8_t> credential() const noexcept override { return {}; }
    std::size_t max_signature_size() const noexcept override { return 1; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t>) const override { return {0}; }
    mcsec::control::AuthResult verify(std::string_view, std::span<const std::uint8_t>,
                                      std::span<const std::uint8_t>, std::span<const std::uint8_t>,
                                      std::chrono::system_clock::time_point) const override {
        return mcsec::control::AuthResult::Ok;
    }

  private:
    mcsec::control::NodeId id_ = "fuzz-self";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace idp = mcsec::control::idp;
    static const AcceptAllAuthenticator authenticator;
    static idp::PeerTable table(authenticator, std::chrono::milliseconds(1000), 64);
    static idp::TimePoint now{};

    // Exactly-sized copy so ASan sees any read past the end.
    const std::vector<uint8_t> datagram(data, data + size);
    idp::ParsedHello parsed;
    if (idp::parse_hello(datagram, parsed) == idp::ParseError::Ok) {
        // What parses re-encodes to the same signed bytes.
        const auto again = idp::encode_hello_unsigned(parsed.hello, parsed.signature.size());
        if (again.size() != parsed.signed_bytes.size() ||
            !std::equal(again.begin(), again.end(), parsed.signed_bytes.begin())) {
            __builtin_trap();
        }
    }

    // Time moves on by an amount the input picks, so expiries and restores happen too.
    now += std::chrono::milliseconds(size > 0 ? data[0] * 20 : 1);
    std::vector<idp::IdpEvent> events;
    const auto verdict = table.on_hello(datagram, now, {}, events);
    // At most every peer leaves, then the sender joins or returns.
    if (events.size() > 64 + 1) __builtin_trap();
    // An accepted hello leaves its sender up, so some deadline is pending.
    if (verdict == idp::HelloVerdict::Accepted && !table.next_expiry()) __builtin_trap();
    return 0;
}
