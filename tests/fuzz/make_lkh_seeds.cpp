// Writes the LKH fuzz seed corpora in the current wire format:
//   lkh_make_seeds tests/fuzz/corpus
// lkh_push: a removal's REKEY (degree 2), a State (degree 4), a TEK-only REKEY (degree 8);
// lkh_registration: a REGISTER and its WELCOME; lkh_replica: a replica chunk, a revocation
// list and a raw distribution state (first byte selects the path, see fuzz_lkh_replica.cpp).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "../unit/idp_test_authenticator.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/receiver_registration.hpp"
#include "mcsec/control/lkh/tree_replica.hpp"

using namespace mcsec::control;
using namespace mcsec::control::lkh;
using mcsec::control::idp::test::TestAuthenticator;

namespace {

const std::vector<std::uint8_t> kGroup = {'2', '3', '9', '.', '1', '.', '1', '.', '1'};

void write(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
           std::optional<std::uint8_t> selector = std::nullopt) {
    std::ofstream out(path, std::ios::binary);
    if (selector) out.put(static_cast<char>(*selector));
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

KeyDistribution distribution(const TestAuthenticator& signer, unsigned degree, int receivers) {
    DistributionParams params;
    params.group_id = kGroup;
    params.degree = degree;
    params.max_receivers = 64;
    params.copies = 1;
    params.batch_window = Duration(0);
    auto out = *KeyDistribution::create(params, signer);
    for (int i = 0; i < receivers; ++i) out.admit("rx-" + std::to_string(i), {});
    return out;
}

std::vector<std::uint8_t> first_of(KeyDistribution& d, TimePoint now) {
    auto datagrams = d.poll(now);
    return datagrams.empty() ? std::vector<std::uint8_t>{} : datagrams.front();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: lkh_make_seeds CORPUS_DIR\n");
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    TestAuthenticator sender("sender-1");
    const TimePoint t0{};

    auto d2 = distribution(sender, 2, 6);
    d2.on_tek(Tek{1, 0x101, std::vector<std::uint8_t>(36, 1)}, t0);
    (void)d2.poll(t0 + std::chrono::hours(1));
    d2.revoke("rx-2", t0);
    d2.on_tek(Tek{2, 0x102, std::vector<std::uint8_t>(36, 2)}, t0 + std::chrono::hours(2));
    write(dir / "lkh_push" / "rekey_d2", first_of(d2, t0 + std::chrono::hours(2)));

    auto d4 = distribution(sender, 4, 9);
    d4.on_tek(Tek{1, 0x201, std::vector<std::uint8_t>(20, 1)}, t0);
    (void)d4.poll(t0);
    auto state = d4.poll(t0 + std::chrono::hours(1));  // the periodic State
    if (!state.empty()) write(dir / "lkh_push" / "state_d4", state.back());

    auto d8 = distribution(sender, 8, 3);
    d8.on_tek(Tek{1, 0x301, std::vector<std::uint8_t>(36, 3)}, t0);
    write(dir / "lkh_push" / "tek_only_d8", first_of(d8, t0));

    TestAuthenticator receiver("rx-100");
    RegistrationDesk desk(kGroup, d8, sender,
                          [](const NodeId&, std::span<const std::uint8_t>) { return true; });
    const auto request = *RegistrationRequest::create(kGroup, receiver);
    write(dir / "lkh_registration" / "register", request.datagram());
    write(dir / "lkh_registration" / "welcome", desk.on_register(request.datagram(), {}, t0).reply);

    TreeReplica replica;
    replica.group_id = kGroup;
    replica.server = "sender-1";
    replica.serial = 1;
    replica.revoked = {"rx-2"};
    replica.state = d2.export_state(t0);
    write(dir / "lkh_replica" / "chunk", encode_replica(replica).front(), 0);
    write(dir / "lkh_replica" / "revoked", encode_revoked({kGroup, "sender-2", {"rx-7"}}), 0);
    write(dir / "lkh_replica" / "state", replica.state.view(), 1);
    std::printf("wrote the LKH seeds under %s\n", dir.c_str());
    return 0;
}
