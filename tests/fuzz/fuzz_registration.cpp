// libFuzzer target: the registration parser on arbitrary datagrams, and both state machines (a
// member and a TM) fed with them. The authenticator accepts every signature so that the fuzzer,
// which cannot sign, still reaches the replay checks, the ACK matching and the alarm handling.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "mcsec/control/registration/messages.hpp"
#include "mcsec/control/registration/registration_client.hpp"
#include "mcsec/control/registration/registry.hpp"

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
    namespace reg = mcsec::control::registration;
    static const AcceptAllAuthenticator authenticator;
    static const auto group4 = *mcsec::config::IpAddress::parse("239.1.2.3");
    static const auto group6 = *mcsec::config::IpAddress::parse("ff0e::1:2");
    static reg::Registry registry = [] {
        reg::Registry made(authenticator, 1, 0x1000);
        made.serve_group(group4, std::chrono::seconds(60));
        return made;
    }();
    static reg::RegistrationClient client = [] {
        reg::RegistrationClient made(authenticator, 1);
        reg::Outbox out;
        // The corpus's TM is "tm-a": ACKs and alarms from it reach the matching logic.
        made.set_tm(group4, "tm-a", {}, out);
        made.set_tm(group6, "tm-a", {}, out);
        return made;
    }();
    static mcsec::control::idp::TimePoint now{};

    // Exactly-sized copy so ASan sees any read past the end.
    const std::vector<uint8_t> datagram(data, data + size);
    reg::ParsedMessage parsed;
    if (reg::parse(datagram, parsed) == reg::ParseError::Ok) {
        // What parses re-encodes to the same signed bytes.
        const auto again = reg::encode_unsigned(parsed.message, parsed.signature.size());
        if (again.size() != parsed.signed_bytes.size() ||
            !std::equal(again.begin(), again.end(), parsed.signed_bytes.begin())) {
            __builtin_trap();
        }
    }

    // Time moves on by an amount the input picks, so expiries and retransmissions happen too.
    now += std::chrono::milliseconds(size > 0 ? data[0] * 50 : 1);
    reg::Outbox out;
    registry.on_datagram(datagram, "fuzz", now, {}, out);
    client.on_datagram(datagram, "fuzz", now, {}, out);
    registry.on_timer(now, out);
    client.on_timer(now, out);
    // Everything the state machines send parses.
    for (const auto& outgoing : out.datagrams) {
        reg::ParsedMessage sent;
        if (outgoing.datagram.size() > reg::kMaxMessageBytes ||
            reg::parse(outgoing.datagram, sent) != reg::ParseError::Ok) {
            __builtin_trap();
        }
    }
    if (registry.alarms().recent().size() > reg::AlarmLog::kDefaultCapacity) __builtin_trap();
    return 0;
}
