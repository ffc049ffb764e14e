// libFuzzer target: the MIKE message parser on arbitrary bytes. Whatever it accepts must encode
// back to the same signed bytes (the format is canonical), and a GroupKeying engine fed the
// bytes must return a verdict without crashing.
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/mike/protocol/group_keying.hpp"
#include "mcsec/control/mike/protocol/messages.hpp"

namespace mike = mcsec::control::mike;

namespace {

// Accepts any signature, so the fuzzer reaches the state machine behind the signature check.
class AcceptAll final : public mcsec::control::MessageAuthenticator {
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
    mcsec::control::NodeId id_ = "node-z";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Exactly-sized copy so ASan sees any read past the end.
    const std::vector<uint8_t> input(data, data + size);
    mike::ParsedMessage parsed;
    if (mike::parse_message(input, parsed) == mike::MessageParseError::Ok) {
        const std::vector<uint8_t> again =
            mike::encode_message_unsigned(parsed.message, parsed.signature.size());
        if (again.size() != parsed.signed_bytes.size() ||
            !std::equal(again.begin(), again.end(), parsed.signed_bytes.begin())) {
            __builtin_trap();
        }
    }
    static AcceptAll auth;
    const auto now = mike::TimePoint{} + std::chrono::hours(1);
    mike::GroupKeying::Params params;
    params.self = "node-z";
    params.group_id = {'g'};
    auto engine = mike::GroupKeying::create(params, auth, now);
    if (!engine) return 0;
    mcsec::control::idp::IdpEvent peer;
    peer.node_id = parsed.message.header.sender.empty() ? "node-a" : parsed.message.header.sender;
    peer.startup_timestamp = parsed.message.header.session;
    engine.value().on_membership(peer, now);
    (void)engine.value().on_datagram(input, now, {});
    (void)engine.value().poll(now);
    return 0;
}
