// libFuzzer target: the LS frames a group's senders exchange over TLS (replica chunks and
// revocation lists) and the key-tree state a complete replica carries, restored as a successor
// TM would. The input is split at its first byte: frames through the assembler, or raw state.
#include <cstddef>
#include <cstdint>
#include <span>

#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/tree_replica.hpp"

using namespace mcsec::control;
using namespace mcsec::control::lkh;

namespace {

class NullSigner final : public MessageAuthenticator {
  public:
    const NodeId& node_id() const noexcept override { return id_; }
    std::span<const std::uint8_t> credential() const noexcept override { return {}; }
    std::size_t max_signature_size() const noexcept override { return 8; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t>) const override {
        return std::vector<std::uint8_t>(8, 0);
    }
    AuthResult verify(std::string_view, std::span<const std::uint8_t>,
                      std::span<const std::uint8_t>, std::span<const std::uint8_t>,
                      std::chrono::system_clock::time_point) const override {
        return AuthResult::BadSignature;
    }

  private:
    NodeId id_ = "fuzz-successor";
};

DistributionParams params() {
    DistributionParams p;
    p.group_id = {'2', '3', '9', '.', '1', '.', '1', '.', '1'};
    p.degree = 2;
    p.max_receivers = 64;
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static NullSigner signer;
    static ReplicaAssembler assembler;
    if (size == 0) return 0;
    const std::span<const std::uint8_t> input(data + 1, size - 1);
    if (data[0] & 1) {
        (void)KeyDistribution::restore(params(), signer, input, {});
        return 0;
    }
    RevokedList list;
    (void)parse_revoked(input, list);
    TreeReplica replica;
    if (assembler.add(input, replica) == ReplicaAssembler::Result::Complete) {
        (void)KeyDistribution::restore(params(), signer, replica.state.view(), {});
    }
    return 0;
}
