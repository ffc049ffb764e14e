#include "spd_model.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "mcsec/crypto/aead.hpp"
#include "mcsec/dataplane/outbound_policy.hpp"
#include "mcsec/dataplane/sa_cache.hpp"
#include "test_packets.hpp"

namespace mcsec::test {

namespace {

using Bytes = std::array<uint8_t, 16>;

unsigned uniform(std::mt19937_64& rng, unsigned low, unsigned high) {
    return std::uniform_int_distribution<unsigned>(low, high)(rng);
}

bool bit(const Bytes& b, unsigned i) {
    return (b[i / 8] >> (7 - i % 8)) & 1;
}
void set_bit(Bytes& b, unsigned i, bool v) {
    const auto mask = static_cast<uint8_t>(0x80u >> (i % 8));
    b[i / 8] = static_cast<uint8_t>(v ? b[i / 8] | mask : b[i / 8] & ~mask);
}

Bytes mask_to(Bytes b, unsigned length, unsigned bits) {
    for (unsigned i = length; i < bits; ++i) set_bit(b, i, false);
    return b;
}

Bytes random_host(std::mt19937_64& rng, bool v6) {
    Bytes b{};
    for (auto& byte : b) byte = static_cast<uint8_t>(rng());
    if (v6) {
        b[0] = 0x20;  // 2001:db8::/32, sometimes fd00::/8
        b[1] = 0x01;
        b[2] = 0x0d;
        b[3] = 0xb8;
        if (uniform(rng, 0, 3) == 0) b[0] = 0xfd;
    } else {
        static constexpr uint8_t kFirst[] = {10, 172, 192, 198, 100};
        b[0] = kFirst[uniform(rng, 0, 4)];
        for (unsigned i = 4; i < 16; ++i) b[i] = 0;
    }
    return b;
}

config::IpAddress address_of(const Bytes& b, bool v6) {
    return v6 ? config::IpAddress::from_v6(b)
              : config::IpAddress::from_v4({b[0], b[1], b[2], b[3]});
}

Bytes bytes_of(const config::IpAddress& a) {
    Bytes b{};
    const auto view = a.bytes();
    std::copy(view.begin(), view.end(), b.begin());
    return b;
}

unsigned random_length(std::mt19937_64& rng, unsigned bits) {
    static constexpr unsigned kPopular4[] = {8, 12, 16, 24, 28};
    static constexpr unsigned kPopular6[] = {16, 32, 48, 56, 64};
    const unsigned r = uniform(rng, 0, 99);
    if (r < 10) return 0;
    if (r < 25) return bits;
    if (r < 40) return bits == 32 ? kPopular4[uniform(rng, 0, 4)] : kPopular6[uniform(rng, 0, 4)];
    return uniform(rng, 1, bits - 1);
}

std::string hex_key(std::mt19937_64& rng) {
    std::string out;
    char digits[3];
    for (int i = 0; i < 20; ++i) {
        std::snprintf(digits, sizeof digits, "%02x", static_cast<unsigned>(rng() & 0xff));
        out += digits;
    }
    return out;
}

const char* action_name(shm::PolicyAction a) {
    switch (a) {
        case shm::PolicyAction::Protect:
            return "PROTECT";
        case shm::PolicyAction::Bypass:
            return "BYPASS";
        case shm::PolicyAction::Discard:
            break;
    }
    return "DISCARD";
}

}  // namespace

uint64_t spd_seed(uint64_t fixed) {
    const char* env = std::getenv("MCSEC_SPD_SEED");
    return env ? std::strtoull(env, nullptr, 0) : fixed;
}

std::string random_spd_config(std::mt19937_64& rng, const std::string& instance, bool manual) {
    std::ostringstream t;
    t << "schema_version = 1\n[instance]\nname = \"" << instance << "\"\nsender_id = 1\n"
      << "[[ports]]\nname = \"red0\"\nrole = \"red\"\ndevice = \"net_null0\"\n"
      << "[[ports]]\nname = \"black0\"\nrole = \"black\"\ndevice = \"net_null1\"\n"
      << "addresses = [\"192.0.2.1/24\", \"2001:db8::1/64\"]\n"
      << "[dataplane]\nsa_slots = 64\nmax_senders = 1\n"
      << "[[policies]]\nname = \"p\"\ntransform = \"aes-gcm-128\"\nreplay_window = 64\n";
    struct Protected {
        std::string group;
        std::optional<std::string> source;
    };
    std::vector<Protected> protected_entries;
    std::set<std::string> addresses;
    const unsigned address_count = uniform(rng, 1, 4);
    while (addresses.size() < address_count) {
        const bool v6 = uniform(rng, 0, 1) == 1;
        char text[64];
        if (v6) {
            std::snprintf(text, sizeof text, "ff3e::%x:%x", uniform(rng, 1, 0xffff),
                          uniform(rng, 1, 0xffff));
        } else {
            std::snprintf(text, sizeof text, "239.%u.%u.%u", uniform(rng, 1, 100),
                          uniform(rng, 0, 255), uniform(rng, 1, 254));
        }
        if (!addresses.insert(text).second) continue;
        const unsigned bits = v6 ? 128 : 32;
        // Two hosts per group: most prefixes nest around one of them, so entries overlap.
        const Bytes bases[2] = {random_host(rng, v6), random_host(rng, v6)};
        std::set<std::pair<Bytes, unsigned>> selectors;
        const unsigned entries = uniform(rng, 1, 10);
        for (unsigned e = 0; e < entries; ++e) {
            const unsigned length = random_length(rng, bits);
            Bytes base = bases[uniform(rng, 0, 1)];
            if (uniform(rng, 0, 3) == 0) {  // a sibling: flip a bit above the length
                if (length > 0) set_bit(base, uniform(rng, 0, length - 1), uniform(rng, 0, 1));
            }
            const Bytes network = mask_to(base, length, bits);
            if (!selectors.emplace(length == 0 ? Bytes{} : network, length).second) continue;
            const auto action = uniform(rng, 0, 2);
            std::optional<std::string> source;
            if (length > 0 || uniform(rng, 0, 1) == 0) {
                source = address_of(network, v6).to_string() + "/" + std::to_string(length);
            }
            t << "[[groups]]\naddress = \"" << text << "\"\n";
            if (source) t << "source = \"" << *source << "\"\n";
            t << "action = \""
              << (action == 0   ? "protect"
                  : action == 1 ? "bypass"
                                : "discard")
              << "\"\n";
            if (action == 0 || uniform(rng, 0, 1) == 0) t << "policy = \"p\"\n";
            if (action == 0) protected_entries.push_back({text, source});
        }
    }
    if (manual && protected_entries.empty()) {  // manual keying needs an SA
        const std::string text = "239.200.0." + std::to_string(uniform(rng, 1, 254));
        t << "[[groups]]\naddress = \"" << text << "\"\npolicy = \"p\"\n";
        protected_entries.push_back({text, std::nullopt});
    }
    t << "[identity]\npsk_file = \"psk\"\n";
    if (!manual) {
        t << "[discovery]\ngroup = \"239.192.0.1\"\nport = 7400\n[keying]\nmode = \"mike\"\n";
        return t.str();
    }
    t << "[keying]\nmode = \"manual\"\n";
    uint32_t spi = 0x1000;
    for (const auto& p : protected_entries) {
        t << "[[manual_sas]]\ngroup = \"" << p.group << "\"\n";
        // A /0 group may be named without its source: the same selector.
        const bool slash_zero = p.source && p.source->ends_with("/0");
        if (p.source && !(slash_zero && uniform(rng, 0, 1) == 0)) {
            t << "source = \"" << *p.source << "\"\n";
        }
        t << "spi = " << spi++ << "\nkey_hex = \"" << hex_key(rng) << "\"\n";
    }
    return t.str();
}

std::vector<RedPacket> random_red_packets(std::mt19937_64& rng,
                                          const config::ApplianceConfig& config, size_t count) {
    std::vector<RedPacket> packets;
    while (packets.size() < count) {
        const unsigned r = uniform(rng, 0, 99);
        if (r < 10 && !packets.empty()) {  // the same flow again
            packets.push_back(packets.back());
            continue;
        }
        const config::Group& g =
            config.groups[uniform(rng, 0, static_cast<unsigned>(config.groups.size()) - 1)];
        const bool v6 = g.address.is_v6();
        const unsigned bits = v6 ? 128 : 32;
        RedPacket p{g.address, {}};
        if (r < 15) {  // a group the config does not name
            Bytes b = bytes_of(g.address);
            b[v6 ? 15 : 3] = static_cast<uint8_t>(b[v6 ? 15 : 3] ^ 0x80);
            p.group = address_of(b, v6);
        }
        const unsigned length = g.source ? g.source->length() : 0;
        const Bytes network = g.source ? bytes_of(g.source->address()) : random_host(rng, v6);
        Bytes s = network;
        auto random_host_bits = [&] {
            for (unsigned i = length; i < bits; ++i) set_bit(s, i, uniform(rng, 0, 1));
        };
        switch (uniform(rng, 0, 6)) {
            case 0:  // inside
                random_host_bits();
                break;
            case 1:  // just outside: the last prefix bit flipped
                random_host_bits();
                if (length > 0) set_bit(s, length - 1, !bit(s, length - 1));
                break;
            case 2:  // the prefix's first address
                break;
            case 3:  // its last address
                for (unsigned i = length; i < bits; ++i) set_bit(s, i, true);
                break;
            case 4:  // anywhere
                s = random_host(rng, v6);
                break;
            case 5:  // the first host bit set
                if (length < bits) set_bit(s, length, true);
                break;
            default: {  // one bit flipped near the boundary
                const unsigned low = length >= 3 ? length - 3 : 0;
                const unsigned high = std::min(bits - 1, length + 3);
                const unsigned i = uniform(rng, low, high);
                set_bit(s, i, !bit(s, i));
                break;
            }
        }
        p.source = address_of(s, v6);
        packets.push_back(p);
    }
    return packets;
}

const config::Group* reference_entry(const config::ApplianceConfig& config, const RedPacket& packet,
                                     unsigned* matches) {
    // RFC 4301 4.4.1: of the entries whose selectors match, the most specific. mcsec's
    // selectors are the destination (exact) and the source (a prefix; none or /0 = any).
    const config::Group* best = nullptr;
    unsigned best_length = 0;
    if (matches != nullptr) *matches = 0;
    for (const auto& g : config.groups) {
        if (g.address != packet.group) continue;
        unsigned length = 0;
        if (g.source && g.source->length() > 0) {
            if (g.source->family() != packet.source.family()) continue;
            length = g.source->length();
            const Bytes prefix = bytes_of(g.source->address()), source = bytes_of(packet.source);
            bool inside = true;
            for (unsigned i = 0; i < length && inside; ++i)
                inside = bit(prefix, i) == bit(source, i);
            if (!inside) continue;
        }
        if (matches != nullptr) ++*matches;
        if (best == nullptr || length > best_length) {
            best = &g;
            best_length = length;
        }
    }
    return best;
}

void check_outbound_verdicts(
    const config::ApplianceConfig& config, shm::Region& region,
    const std::vector<RedPacket>& packets,
    const std::function<std::optional<uint32_t>(const config::Group&)>& sending_spi,
    SpdCheck& result) {
    static const auto engine = crypto::make_engine(crypto::Backend::IpsecMb);
    shm::SaTableReader reader(region);
    dataplane::SaCache cache(region, *engine);
    dataplane::OutboundPolicy policy(reader, cache);
    for (size_t i = 0; i < packets.size(); ++i) {
        if (i % 8 == 0) policy.begin_burst();
        const RedPacket& p = packets[i];
        TestPacket packet(udp_packet(p.source.to_string(), p.group.to_string(), 16));
        const dataplane::OutboundVerdict got = policy.classify(packet.buffer());
        unsigned matches = 0;
        const config::Group* entry = reference_entry(config, p, &matches);
        result.overlapping += matches > 1;
        result.ipv6 += p.group.is_v6();
        if (entry == nullptr) ++result.no_entry;

        auto expected = shm::PolicyAction::Discard;
        auto reason = esp::DropReason::NoPolicy;
        std::optional<uint32_t> spi;
        if (entry != nullptr) {
            switch (entry->action) {
                case config::GroupAction::Protect:
                    ++result.protect;
                    spi = sending_spi(*entry);
                    expected = spi ? shm::PolicyAction::Protect : shm::PolicyAction::Discard;
                    reason = esp::DropReason::NoOutboundSa;
                    break;
                case config::GroupAction::Bypass:
                    ++result.bypass;
                    expected = shm::PolicyAction::Bypass;
                    break;
                case config::GroupAction::Discard:
                    ++result.discard;
                    reason = esp::DropReason::PolicyDiscard;
                    break;
            }
        }
        bool ok = got.action == expected;
        if (ok && expected == shm::PolicyAction::Protect) {
            ok = got.sa != nullptr && got.sa->spi == *spi;
        }
        if (ok && expected == shm::PolicyAction::Discard) ok = got.reason == reason;
        ++result.packets;
        if (ok) continue;
        ++result.wrong;
        const bool plaintext = got.action == shm::PolicyAction::Bypass &&
                               (entry == nullptr || entry->action != config::GroupAction::Bypass);
        if (plaintext) ++result.plaintext;
        if (!result.first_failure.empty() && (!plaintext || !result.first_plaintext.empty())) {
            continue;
        }
        std::ostringstream out;
        out << (plaintext ? "PLAINTEXT ON BLACK: " : "") << "packet " << p.source.to_string()
            << " -> " << p.group.to_string() << ": the reference says ";
        if (entry == nullptr) {
            out << "no entry (DISCARD)";
        } else {
            out << "groups[" << (entry - config.groups.data()) << "] (source "
                << (entry->source ? entry->source->to_string() : "any") << ", "
                << config::to_string(entry->action) << ")";
        }
        out << " = " << action_name(expected);
        if (spi) out << " spi " << *spi;
        out << ", the dataplane says " << action_name(got.action);
        if (got.sa != nullptr) out << " spi " << got.sa->spi;
        if (got.action == shm::PolicyAction::Discard)
            out << " (" << esp::counter_name(got.reason) << ")";
        if (result.first_failure.empty()) result.first_failure = out.str();
        if (plaintext && result.first_plaintext.empty()) result.first_plaintext = out.str();
    }
}

}  // namespace mcsec::test
