// LKH key distribution cost (docs/protocol/lkh.md; results in docs/PERFORMANCE.md): for n
// receivers and tree degree d, what one removal and a batch of 1% removals cost the key server
// (remove, new path keys, wraps, encoding, an Ed25519 signature), how large the push message is
// against RFC 2627's table (seed 003), what one rekey costs a receiver (parse, signature check,
// unwraps), and how long a 9.6 kbit/s link with 10% loss takes until 99% of the receivers hold
// the new TEK when the message is sent back to back as identical copies (and how many hold it
// 2 s after the first copy: a 50 ms path delay, then as many copies as fit).
//
//   lkh_cost [N ...]      default: 1000 10000 100000
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "mcsec/control/identity/message_signature.hpp"
#include "mcsec/control/lkh/key_server.hpp"
#include "mcsec/control/lkh/push_message.hpp"
#include "mcsec/control/lkh/key_distribution.hpp"
#include "mcsec/control/lkh/receiver_keys.hpp"
#include "mcsec/control/lkh/tree_replica.hpp"

using namespace mcsec::control;
using namespace mcsec::control::lkh;
using Clock = std::chrono::steady_clock;

namespace {

// The designated sender's key (Ed25519, or ECDSA P-256 with --algo p256: the two algorithms
// mcsec-pki issues); receivers hold its certificate from registration, so pushes carry no
// credential (the docs give the size with one too).
class PerfSigner final : public MessageAuthenticator {
  public:
    explicit PerfSigner(bool p256) : p256_(p256) {
        EVP_PKEY* key = nullptr;
        std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
            EVP_PKEY_CTX_new_id(p256 ? EVP_PKEY_EC : EVP_PKEY_ED25519, nullptr),
            EVP_PKEY_CTX_free);
        if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
            (p256 && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) != 1) ||
            EVP_PKEY_keygen(ctx.get(), &key) != 1) {
            throw std::runtime_error("keygen failed");
        }
        key_.reset(key);
    }
    const char* algorithm() const noexcept { return p256_ ? "ECDSA P-256" : "Ed25519"; }
    const NodeId& node_id() const noexcept override { return id_; }
    std::span<const std::uint8_t> credential() const noexcept override { return {}; }
    std::size_t max_signature_size() const noexcept override { return p256_ ? 72 : 64; }
    std::vector<std::uint8_t> sign(std::span<const std::uint8_t> message) const override {
        return identity::sign_message(*key_, message);
    }
    AuthResult verify(std::string_view, std::span<const std::uint8_t>,
                      std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature,
                      std::chrono::system_clock::time_point) const override {
        return identity::verify_message(*key_, message, signature) ? AuthResult::Ok
                                                                   : AuthResult::BadSignature;
    }

  private:
    bool p256_;
    NodeId id_ = "sender-1";
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_{nullptr, EVP_PKEY_free};
};

double median(std::vector<double> v) {
    std::ranges::sort(v);
    return v.empty() ? 0.0 : v[v.size() / 2];
}

double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

struct Tracked {
    ReceiverKeys keys;
};

// Seconds until 99% of `n` receivers hold at least one of the back-to-back copies, each lost
// independently with probability `loss`, each taking `airtime` on the link, plus `delay`.
double time_to_99(std::size_t n, double airtime, double loss, double delay, std::mt19937& rng) {
    std::bernoulli_distribution lost(loss);
    std::vector<int> first(n, 0);
    for (auto& copy : first) {
        copy = 1;
        while (lost(rng) && copy < 64) ++copy;
    }
    std::ranges::sort(first);
    const int copies = first[(n * 99 + 99) / 100 - 1];
    return copies * airtime + delay;
}

// The share of `n` receivers holding the message `deadline` seconds after the first copy left.
double held_at(std::size_t n, double airtime, double loss, double delay, double deadline,
               std::mt19937& rng) {
    const int copies = static_cast<int>((deadline - delay) / airtime);
    std::bernoulli_distribution lost(loss);
    std::size_t held = 0;
    for (std::size_t r = 0; r < n; ++r) {
        for (int c = 0; c < copies; ++c) {
            if (!lost(rng)) {
                ++held;
                break;
            }
        }
    }
    return static_cast<double>(held) / static_cast<double>(n);
}

void run(std::size_t n, unsigned degree, const PerfSigner& signer, std::mt19937& rng) {
    const std::vector<std::uint8_t> group = {'2', '3', '9', '.', '9', '.', '9', '.', '9'};
    const auto shape = *TreeShape::for_receivers(degree, n);
    auto server = *KeyServer::create(shape, group);
    std::vector<NodeIndex> leaves;
    std::vector<Tracked> tracked;
    for (std::size_t i = 0; i < n; ++i) {
        auto admission = *server.admit();
        leaves.push_back(admission.leaf);
        if (i % (n / 8) == 0) {
            tracked.push_back({*ReceiverKeys::create(group, shape, admission.leaf,
                                                     admission.individual_key.view())});
        }
    }
    std::uint64_t epoch = 1;
    std::vector<std::uint8_t> tek(36);
    const auto next_tek = [&] {
        ++epoch;
        for (auto& b : tek) b = static_cast<std::uint8_t>(rng());
        return Tek{epoch, static_cast<std::uint32_t>(0x1000 + epoch), tek};
    };
    std::vector<double> receiver_us, verify_us;
    const auto deliver = [&](const std::vector<std::vector<std::uint8_t>>& messages, bool timed) {
        for (Tracked& t : tracked) {
            const auto t0 = Clock::now();
            Clock::duration verifying{};
            for (const auto& bytes : messages) {
                ParsedPush parsed;
                if (parse_push(bytes, parsed) != PushParseError::Ok) {
                    throw std::runtime_error("push does not parse");
                }
                const auto v0 = Clock::now();
                if (signer.verify(parsed.sender, parsed.credential, parsed.signed_bytes,
                                  parsed.signature, {}) != AuthResult::Ok) {
                    throw std::runtime_error("push refused");
                }
                verifying += Clock::now() - v0;
                t.keys.apply(parsed.content);
            }
            if (timed) {
                receiver_us.push_back(micros(Clock::now() - t0));
                verify_us.push_back(micros(verifying));
            }
        }
    };
    std::vector<PushContent> push;
    // The initial tree reaches the tracked receivers as content (a real receiver gets its path
    // at registration); only what follows is encoded and timed.
    if (server.flush(next_tek(), push) != FlushError::Ok) throw std::runtime_error("flush");
    for (Tracked& t : tracked) {
        for (const PushContent& message : push) t.keys.apply(message);
    }
    const auto encode_all = [&](const std::vector<PushContent>& messages) {
        std::vector<std::vector<std::uint8_t>> out;
        for (const PushContent& message : messages) out.push_back(encode_push(message, signer));
        return out;
    };
    const auto total_bytes = [](const std::vector<std::vector<std::uint8_t>>& messages) {
        std::size_t total = 0;
        for (const auto& m : messages) total += m.size();
        return total;
    };

    std::vector<double> server_us;
    std::size_t wraps = 0, chained = 0, bytes = 0;
    const std::size_t rounds = 21;
    for (std::size_t round = 0; round < rounds; ++round) {
        // Never one of the tracked receivers: they must keep following.
        std::size_t victim;
        do {
            victim = std::uniform_int_distribution<std::size_t>(0, leaves.size() - 1)(rng);
        } while (std::ranges::any_of(
            tracked, [&](const Tracked& t) { return t.keys.leaf() == leaves[victim]; }));
        const auto t0 = Clock::now();
        server.remove(leaves[victim]);
        if (server.flush(next_tek(), push) != FlushError::Ok) throw std::runtime_error("flush");
        const auto message = encode_all(push);
        server_us.push_back(micros(Clock::now() - t0));
        wraps = chained = 0;
        for (const PushContent& m : push) {
            for (const WrappedKey& k : m.keys) (k.chained ? chained : wraps) += 1;
            wraps += m.tek ? 1 : 0;
        }
        bytes = total_bytes(message);
        deliver(message, true);
        // Keep n receivers: a newcomer takes the freed leaf (not timed).
        auto admission = *server.admit();
        leaves[victim] = admission.leaf;
        if (server.flush(Tek{epoch, static_cast<std::uint32_t>(0x1000 + epoch), tek}, push) !=
            FlushError::Ok) {
            throw std::runtime_error("flush after admit");
        }
        deliver(encode_all(push), false);
    }
    for (const Tracked& t : tracked) {
        if (!t.keys.tek() || t.keys.tek()->epoch != epoch) throw std::runtime_error("lost track");
    }

    // A batch: 1% of the receivers removed in one window, one message.
    const std::size_t batch = std::max<std::size_t>(1, n / 100);
    std::vector<std::size_t> order(leaves.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::ranges::shuffle(order, rng);
    const auto b0 = Clock::now();
    std::size_t removed = 0;
    for (const std::size_t i : order) {
        if (removed == batch) break;
        if (std::ranges::any_of(tracked,
                                [&](const Tracked& t) { return t.keys.leaf() == leaves[i]; })) {
            continue;
        }
        server.remove(leaves[i]);
        ++removed;
    }
    if (server.flush(next_tek(), push) != FlushError::Ok) throw std::runtime_error("batch flush");
    const auto batch_message = encode_all(push);
    const double batch_ms = micros(Clock::now() - b0) / 1000.0;
    deliver(batch_message, false);
    for (const Tracked& t : tracked) {
        if (!t.keys.tek() || t.keys.tek()->epoch != epoch) throw std::runtime_error("batch lost");
    }

    const double airtime = static_cast<double>(bytes) * 8 / 9600.0;
    const double t99 = time_to_99(n, airtime, 0.10, 0.05, rng);
    const double at2s = held_at(n, airtime, 0.10, 0.05, 2.0, rng);
    std::printf(
        "| %zu | %u | %u | %zu | %u | %u | %zu + %zu | %zu | %.3f | %.0f (%.0f) | %.2f | %.2f | "
        "%.2f %% | %zu: %zu msg, %zu B, %.1f ms |\n",
        n, degree, shape.height(), shape.leaf_count(), shape.height() + 1,
        degree * shape.height() - 1, wraps, chained, bytes, median(server_us) / 1000.0,
        median(receiver_us), median(verify_us), airtime, t99, at2s * 100, batch,
        batch_message.size(), total_bytes(batch_message), batch_ms);
    std::fflush(stdout);
}

}  // namespace

// Key-server redundancy: what replicating a full tree of n receivers to another sender costs
// (KeyDistribution::export_state, the LS chunks, restore on the successor).
void replica_cost(std::size_t n, unsigned degree, const PerfSigner& signer) {
    DistributionParams params;
    params.group_id = {'2', '3', '9', '.', '9', '.', '9', '.', '9'};
    params.degree = degree;
    params.max_receivers = n;
    auto distribution = *KeyDistribution::create(params, signer);
    for (std::size_t i = 0; i < n; ++i) distribution.admit("rx-" + std::to_string(i), {});
    const std::vector<std::uint8_t> tek(36, 1);
    distribution.on_tek(Tek{1, 0x1001, tek}, {});
    const auto t0 = Clock::now();
    TreeReplica replica;
    replica.group_id = params.group_id;
    replica.server = "sender-1";
    replica.serial = 1;
    replica.state = distribution.export_state({});
    const auto frames = encode_replica(replica);
    const auto t1 = Clock::now();
    ReplicaAssembler assembler;
    TreeReplica received;
    for (const auto& frame : frames) assembler.add(frame, received);
    auto restored = KeyDistribution::restore(params, signer, received.state.view(), {});
    const auto t2 = Clock::now();
    if (!restored || restored->receivers().size() != n) throw std::runtime_error("restore failed");
    std::size_t bytes = 0;
    for (const auto& frame : frames) bytes += frame.size();
    std::printf("| %zu | %u | %zu | %zu | %.1f | %.1f |\n", n, degree, bytes, frames.size(),
                micros(t1 - t0) / 1000, micros(t2 - t1) / 1000);
}

int main(int argc, char** argv) {
    // lkh_cost [--algo ed25519|p256] [RECEIVERS...]
    std::vector<std::size_t> sizes;
    bool p256 = false;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--algo" && i + 1 < argc) {
            p256 = std::string(argv[++i]) == "p256";
        } else {
            sizes.push_back(std::strtoull(argv[i], nullptr, 10));
        }
    }
    if (sizes.empty()) sizes = {1000, 10000, 100000};
    PerfSigner signer(p256);
    std::mt19937 rng(2027);
    std::printf(
        "| receivers | d | h | leaves | keys per receiver | RFC 2627 wraps per removal (d*h-1) | "
        "wraps incl. TEK + chain markers | message bytes | server ms per removal | receiver us per "
        "rekey (of it %s verify) | s on a 9.6 kbit/s link | s until 99%% hold it, 10%% loss | "
        "held at 2 s | batch of 1%%: messages, bytes, server ms |\n",
        signer.algorithm());
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const std::size_t n : sizes) {
        for (const unsigned degree : {2u, 4u, 8u}) run(n, degree, signer, rng);
    }
    std::printf("\n| receivers | d | replica bytes (LS frames) | chunks | export + encode ms | "
                "reassemble + restore ms |\n|---|---|---|---|---|---|\n");
    for (const std::size_t n : sizes) {
        for (const unsigned degree : {2u, 4u, 8u}) replica_cost(n, degree, signer);
    }
    return 0;
}
