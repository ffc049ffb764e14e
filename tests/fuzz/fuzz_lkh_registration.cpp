// libFuzzer target: LKH REGISTER and WELCOME datagrams, parsed, answered by a registration desk
// (every receiver admitted, every signature refused) and opened by a pending request.
#include <cstddef>
#include <cstdint>
#include <span>

#include "mcsec/control/lkh/receiver_registration.hpp"

using namespace mcsec::control;
using namespace mcsec::control::lkh;

namespace {

// Signs with a fixed 8-byte tag and refuses every signature: what is fuzzed is everything
// before and around the signature check.
class RefusingAuthenticator final : public MessageAuthenticator {
  public:
    const NodeId& node_id() const noexcept override { return id_; }
    std::span<const std::uint8_t> credential() const noexcept override { return {}; }
    std::size_t max_signature_size() const noexcept override { return 8; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t>) const override {
        return std::vector<std::uint8_t>(8, 0x5a);
    }
    AuthResult verify(std::string_view, std::span<const std::uint8_t>,
                      std::span<const std::uint8_t>, std::span<const std::uint8_t>,
                      std::chrono::system_clock::time_point) const override {
        return AuthResult::BadSignature;
    }

  private:
    NodeId id_ = "fuzz-sender";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static RefusingAuthenticator auth;
    static const std::vector<std::uint8_t> group = {'2', '3', '9', '.', '1', '.', '1', '.', '1'};
    static KeyDistribution distribution = *KeyDistribution::create(
        [] {
            DistributionParams p;
            p.group_id = group;
            p.max_receivers = 16;
            return p;
        }(),
        auth);
    static RegistrationDesk desk(group, distribution, auth,
                                 [](const NodeId&, std::span<const std::uint8_t>) { return true; });
    static const RegistrationRequest request = *RegistrationRequest::create(group, auth);
    const std::span<const std::uint8_t> datagram(data, size);
    (void)parses_as_registration_message(datagram);
    (void)desk.on_register(datagram, {}, {});
    (void)request.open(datagram, auth,
                       [](const NodeId&, std::span<const std::uint8_t>) { return true; }, {});
    return 0;
}
