// mcsecctl --config FILE sa add|switch|retire --group G [--source P] --spi S [--key HEX]
//
// The manual-keying path's rollover, one step per call, so an operator (or mcsec-lab) can run
// make-before-break across several appliances: `add` the new SA on every appliance (each
// accepts it inbound at once), then `switch` every appliance's senders to it, then `retire` the
// old one everywhere. The dataplane sees each step within microseconds.
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "mcsec/shm/keying/sa_builder.hpp"
#include "mcsec/shm/monotonic.hpp"
#include "mcsec/shm/sa_table.hpp"
#include "region_access.hpp"

namespace mcsec::ctl {

namespace {

bool parse_hex(const std::string& hex, config::SecretBytes& out) {
    if (hex.size() % 2 != 0) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < hex.size(); i += 2) {
        const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0 || !out.push_back(static_cast<uint8_t>(hi << 4 | lo))) return false;
    }
    return true;
}

// The dataplane reserves a new outbound SA's first sequence numbers in its nonce ledger (a few
// milliseconds: one poll of its reserver and an fsync); it sends nothing on the SA before that.
// Waits for it, so a `switch` right after an `add` loses no packet. False if no dataplane is
// attached or it did not happen in time (its log says why).
bool wait_reserved(shm::Region& region, uint32_t slot, std::chrono::milliseconds timeout) {
    const int32_t pid = region.header().dataplane_pid.load(std::memory_order_acquire);
    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) return false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const uint64_t& limit = region.runtime(slot).outbound.seq_limit;
    while (std::atomic_ref<const uint64_t>(limit).load(std::memory_order_acquire) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

void warn_unreserved(const std::string& verb, uint32_t spi) {
    std::fprintf(stderr,
                 "mcsecctl sa %s: note: no running dataplane has reserved sequence numbers for "
                 "spi 0x%08x yet; it sends nothing on it until one has (see the dataplane's log "
                 "for its nonce ledger)\n",
                 verb.c_str(), spi);
}

int usage(const std::string& why) {
    std::cerr << "mcsecctl sa: " << why
              << "\nusage: mcsecctl --config FILE sa add|switch|retire --group G [--source P] "
                 "--spi S [--key HEX]\n";
    return 2;
}

}  // namespace

int sa_command(const Args& args) {
    const std::string verb = args.words[1];
    auto cfg = load_config(args, true);
    if (!cfg) return 2;
    auto region = attach_region(args);
    if (!region) return 1;

    config::ManualSa manual;
    const auto group = config::IpAddress::parse(args.get("group"));
    if (!group) return usage("--group must be an IP address");
    manual.group = *group;
    if (args.has("source")) {
        std::string why;
        auto source = config::Prefix::parse(args.get("source"), &why);
        if (!source) return usage("--source: " + why);
        manual.source = *source;
    }
    const config::Group* g = cfg->find_group(manual.group, manual.source);
    if (g == nullptr || g->action != config::GroupAction::Protect) {
        return usage("no protected group " + args.get("group") + " in the config");
    }
    manual.spi = static_cast<uint32_t>(
        std::stoul(args.get("spi").empty() ? "0" : args.get("spi"), nullptr, 0));
    if (manual.spi < 256) return usage("--spi must be >= 256");
    const esp::IpAddress tunnel = shm::to_esp(g->black_group.value_or(g->address));
    const esp::IpAddress red = shm::to_esp(g->address);
    const auto source = shm::policy_source(*g);

    std::string error;
    // One writer at a time (controld, another mcsecctl, the dataplane's manual keying).
    auto writer_role = shm::SaTableWriter::acquire(*region, error);
    if (!writer_role) {
        std::cerr << "mcsecctl sa " << verb << ": refused: " << error << "\n";
        return 1;
    }
    shm::SaTableWriter& writer = *writer_role;
    shm::SaTableReader reader(*region);
    if (verb == "add") {
        if (!parse_hex(args.get("key"), manual.key_and_salt)) {
            return usage("--key must be hex: AES key followed by the 4-byte salt");
        }
        auto spec = shm::manual_sa_spec(*cfg, manual, shm::monotonic_seconds(), error);
        if (!spec) return usage(error);
        // The new SA must not be used for sending before `switch`: publish it inbound only
        // (and outbound, so its slot is ready), without touching the policy.
        auto slot = writer.add_sa(*spec, error);
        if (!slot) {
            std::cerr << "mcsecctl sa add: " << error << "\n";
            return 1;
        }
        const bool reserved = wait_reserved(*region, *slot, std::chrono::seconds(2));
        if (!reserved) warn_unreserved(verb, manual.spi);
        if (args.json) {
            std::printf("{\"slot\": %u, \"spi\": %u, \"reserved\": %s}\n", *slot, manual.spi,
                        reserved ? "true" : "false");
        } else {
            std::printf(
                "added SA spi 0x%08x in slot %u (accepted inbound now; senders move at "
                "'sa switch')\n",
                manual.spi, *slot);
        }
        return 0;
    }
    const uint32_t slot = reader.find_inbound(manual.spi, tunnel);
    if (slot == shm::kNoSlot) {
        std::cerr << "mcsecctl sa " << verb << ": no SA with spi " << manual.spi << " for "
                  << tunnel.to_string() << "\n";
        return 1;
    }
    if (verb == "switch") {
        if (!wait_reserved(*region, slot, std::chrono::seconds(2)))
            warn_unreserved(verb, manual.spi);
        if (!writer.set_policy(red, source, shm::PolicyAction::Protect, slot)) {
            std::cerr << "mcsecctl sa switch: SPD full\n";
            return 1;
        }
        std::printf(args.json ? "{\"slot\": %u}\n" : "senders now use slot %u\n", slot);
        return 0;
    }
    if (verb == "retire") {
        writer.retire_sa(slot);
        // Wait for the grace period so the key is wiped before we return.
        const bool done = writer.synchronize(std::chrono::seconds(2));
        if (args.json) {
            std::printf("{\"slot\": %u, \"reclaimed\": %s}\n", slot, done ? "true" : "false");
        } else {
            std::printf("retired slot %u%s\n", slot,
                        done ? ", key wiped" : " (dataplane has not passed a quiescent point yet)");
        }
        return 0;
    }
    return usage("unknown sa command '" + verb + "'");
}

}  // namespace mcsec::ctl
