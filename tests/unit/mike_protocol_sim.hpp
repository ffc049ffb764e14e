// A MIKE group on a simulated clock: one GroupKeying engine per node, an in-memory multicast
// "network" that drops, duplicates and delays (hence reorders) datagrams, and discovery played
// by the test, which feeds each engine the IDP events its node would see, or by real IDP
// (use_idp(): each node runs a HelloSender and a PeerTable on the same network, glued to its
// engine as mcsec-controld's daemon does).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/idp/hello_sender.hpp"
#include "mcsec/control/idp/peer_table.hpp"
#include "mcsec/control/mike/protocol/group_keying.hpp"

namespace mcsec::control::mike::testing {

using namespace std::chrono_literals;

inline const std::vector<std::uint8_t> kGroupId = {'f', 'f', '3', 'e', ':', ':', '1'};
inline constexpr Duration kHello = 1000ms;

struct SimNode {
    std::unique_ptr<idp::test::TestAuthenticator> auth;
    std::optional<GroupKeying> engine;
    std::uint64_t startup = 1;
    bool up = true;         // its engine runs and its datagrams reach the network
    bool isolated = false;  // partitioned: nothing between it and the others gets through
    std::vector<EpochKey> keys;
    // use_idp() only.
    std::optional<idp::HelloSender> hello;
    std::optional<idp::PeerTable> peers;
    std::vector<std::pair<TimePoint, idp::IdpEvent>> events;  // what its discovery reported
    std::vector<TimePoint> key_times;                         // when each of `keys` came
};

// What the simulated network does to each datagram and receiver.
struct SimNet {
    double drop = 0.0;       // probability that one receiver misses one datagram
    double duplicate = 0.0;  // probability that a receiver gets a second copy
    int max_delay_ms = 3;    // uniform 0..max: datagrams overtake each other
};

class SimGroup {
  public:
    using Net = SimNet;

    explicit SimGroup(Net net = Net{}, unsigned seed = 1) : net_(net), rng_(seed) {}
    // Every scenario checks the engines' phase changes against the transition table.
    ~SimGroup() {
        for (const auto& [id, node] : nodes_) expect_listed_transitions(id, node);
    }
    SimGroup(const SimGroup&) = delete;
    SimGroup& operator=(const SimGroup&) = delete;

    // Discovery by IDP itself instead of the test, with hello interval `hello` for IDP and the
    // engines, glued as in Daemon: hellos and MIKE messages share the network, IDP events feed
    // on_membership, and (with `hurry`) a JOIN or RESTORE makes the node send a hello at once,
    // before its engine's output. Call before adding nodes.
    void use_idp(Duration hello, bool hurry = true) {
        idp_ = true;
        hurry_ = hurry;
        hello_ = hello;
    }

    static std::string name(std::size_t i) {
        std::string n = std::to_string(i);
        return "node-" + std::string(2 - std::min<std::size_t>(2, n.size()), '0') + n;
    }

    // The group's access list as each node's config has it: `role(observer, subject)` is the
    // role `observer` gives `subject` (a compromised TM may disagree with its members). For
    // nodes added afterwards; unset: an open group.
    void set_access(std::function<access::Role(const NodeId&, const NodeId&)> role) {
        access_ = std::move(role);
    }
    // Starts `count` nodes at once; every node's discovery sees every other.
    void start(std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) add(name(i), 1);
        if (idp_) return;  // discovery finds them
        for (auto& [a, na] : nodes_) {
            for (auto& [b, nb] : nodes_) {
                if (a != b) na.engine->on_membership(event(idp::IdpEventKind::Join, b), now_);
            }
        }
    }

    SimNode& add(const std::string& id, std::uint64_t startup) {
        SimNode& node = nodes_[id];
        expect_listed_transitions(id, node);  // the run it replaces
        node.auth = std::make_unique<idp::test::TestAuthenticator>(id);
        node.startup = startup;
        node.up = true;
        node.keys.clear();
        GroupKeying::Params params;
        params.self = id;
        params.startup_timestamp = startup;
        params.group_id = kGroupId;
        params.hello_interval = hello_;
        if (access_) {
            params.role_of = [this, id](const NodeId& subject) { return access_(id, subject); };
        }
        auto engine = GroupKeying::create(params, *node.auth, now_);
        if (!engine) throw std::runtime_error("GroupKeying::create failed");
        node.engine.emplace(std::move(engine).value());
        node.events.clear();
        node.key_times.clear();
        if (idp_) {
            const auto index = static_cast<std::uint8_t>(nodes_.size());
            node.hello.emplace(*node.auth, config::IpAddress::from_v4({198, 18, 0, index}), startup,
                               hello_, now_);
            node.peers.emplace(*node.auth, hello_);
        }
        return node;
    }

    idp::IdpEvent event(idp::IdpEventKind kind, const std::string& subject) const {
        idp::IdpEvent e;
        e.kind = kind;
        e.node_id = subject;
        e.startup_timestamp = nodes_.at(subject).startup;
        return e;
    }

    // `observer`'s discovery reports `kind` for `subject`.
    void idp(const std::string& observer, idp::IdpEventKind kind, const std::string& subject) {
        SimNode& node = nodes_.at(observer);
        if (node.up) node.engine->on_membership(event(kind, subject), now_);
    }
    // Every running node except `subject` sees `kind` for it.
    void idp_all(idp::IdpEventKind kind, const std::string& subject) {
        for (auto& [id, node] : nodes_) {
            if (id != subject) idp(id, kind, subject);
        }
    }

    // Runs until `done` holds or `limit` of simulated time has passed.
    bool run_until(const std::function<bool()>& done, Duration limit) {
        const TimePoint deadline = now_ + limit;
        for (std::size_t iterations = 0; iterations < 5'000'000; ++iterations) {
            for (auto& [id, node] : nodes_) {
                if (!node.up) continue;
                if (idp_) run_idp(id, node);
                for (auto& datagram : node.engine->poll(now_)) route(id, std::move(datagram));
                while (auto key = node.engine->take_new_key()) {
                    node.keys.push_back(std::move(*key));
                    node.key_times.push_back(now_);
                }
            }
            if (done()) return true;
            TimePoint next = TimePoint::max();
            if (!in_flight_.empty()) next = in_flight_.begin()->first;
            for (auto& [id, node] : nodes_) {
                if (!node.up) continue;
                next = std::min(next, node.engine->next_due());
                if (idp_) {
                    next = std::min(next, node.hello->next_due());
                    if (auto expiry = node.peers->next_expiry()) next = std::min(next, *expiry);
                }
            }
            if (next > deadline) {
                now_ = deadline;
                return done();
            }
            now_ = std::max(now_, next);
            while (!in_flight_.empty() && in_flight_.begin()->first <= now_) {
                auto delivery = std::move(in_flight_.begin()->second);
                in_flight_.erase(in_flight_.begin());
                SimNode& node = nodes_.at(delivery.to);
                if (!node.up) continue;
                if (idp_ && delivery.bytes.size() >= 2 && delivery.bytes[0] == 'I' &&
                    delivery.bytes[1] == 'D') {
                    std::vector<idp::IdpEvent> events;
                    node.peers->on_hello(delivery.bytes, now_, wall(), events);
                    on_idp_events(delivery.to, node, events);
                    continue;
                }
                node.engine->on_datagram(delivery.bytes, now_, wall());
            }
        }
        return false;
    }

    void run_for(Duration span) {
        run_until([] { return false; }, span);
    }

    // Every running, non-isolated node in `expected` (all running nodes when empty) holds a key
    // for the same newest epoch with the same bytes, SPI and member list == expected.
    bool converged(std::vector<std::string> expected = {}) const {
        if (expected.empty()) {
            for (const auto& [id, node] : nodes_) {
                if (node.up && !node.isolated) expected.push_back(id);
            }
        }
        std::sort(expected.begin(), expected.end());
        const EpochKey* reference = nullptr;
        std::set<std::uint16_t> sender_ids;
        for (const std::string& id : expected) {
            const SimNode& node = nodes_.at(id);
            if (node.keys.empty()) return false;
            const EpochKey& key = node.keys.back();
            std::vector<NodeId> members = key.members;
            std::sort(members.begin(), members.end());
            if (members != expected) return false;
            if (reference == nullptr) {
                reference = &key;
            } else if (key.epoch != reference->epoch || key.spi != reference->spi ||
                       key.members != reference->members ||
                       !key.key_and_salt.equals(reference->key_and_salt.view())) {
                return false;
            }
            // Every holder of the key sends with its own RFC 6054 sender ID (disjoint nonces).
            const auto sender_id = sender_id_of(key, id);
            if (!sender_id || !sender_ids.insert(*sender_id).second) return false;
        }
        return reference != nullptr;
    }

    const EpochKey& latest_key(const std::string& id) const { return nodes_.at(id).keys.back(); }
    SimNode& node(const std::string& id) { return nodes_.at(id); }
    GroupKeying& engine(const std::string& id) { return *nodes_.at(id).engine; }
    std::map<std::string, SimNode>& nodes() { return nodes_; }
    TimePoint now() const { return now_; }
    static WallTime wall() { return WallTime{} + std::chrono::hours(24 * 365 * 50); }
    // Every datagram that went on the wire, for the rejection tests.
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& wire() const {
        return wire_;
    }
    void record_wire(bool on) { record_ = on; }
    // Nodes whose datagrams reach no one (a box that lost its uplink) but still receive.
    std::set<std::string>& mute() { return mute_; }

  private:
    static void expect_listed_transitions(const std::string& id, const SimNode& node) {
        if (!node.engine) return;
        EXPECT_EQ(node.engine->counters().unlisted_transitions, 0u)
            << id << ": a phase change the transition table (phase.hpp) does not list";
    }

    // The daemon's run_due() for discovery: a hello when due, expiries.
    void run_idp(const std::string& id, SimNode& node) {
        if (auto hello = node.hello->poll(now_)) route(id, std::move(*hello));
        std::vector<idp::IdpEvent> events;
        node.peers->expire(now_, events);
        on_idp_events(id, node, events);
    }

    // The daemon's on_idp_events(): the engine hears every event, and a peer that appeared gets
    // a hello at once, routed before the engine's next output.
    void on_idp_events(const std::string& id, SimNode& node,
                       const std::vector<idp::IdpEvent>& events) {
        bool appeared = false;
        for (const auto& e : events) {
            node.events.emplace_back(now_, e);
            appeared = appeared || e.kind != idp::IdpEventKind::Leave;
            node.engine->on_membership(e, now_);
        }
        if (appeared && hurry_) {
            node.hello->send_soon(now_);
            if (auto hello = node.hello->poll(now_)) route(id, std::move(*hello));
        }
    }

    struct Delivery {
        std::string to;
        std::vector<std::uint8_t> bytes;
    };

    void route(const std::string& from, std::vector<std::uint8_t> datagram) {
        if (record_) wire_.emplace_back(from, datagram);
        if (mute_.contains(from)) return;
        const bool from_isolated = nodes_.at(from).isolated;
        std::uniform_real_distribution<double> chance(0.0, 1.0);
        std::uniform_int_distribution<int> delay(0, net_.max_delay_ms);
        for (auto& [id, node] : nodes_) {
            if (id == from || !node.up || node.isolated != from_isolated) continue;
            if (chance(rng_) < net_.drop) continue;
            const int copies = chance(rng_) < net_.duplicate ? 2 : 1;
            for (int c = 0; c < copies; ++c) {
                in_flight_.emplace(now_ + std::chrono::milliseconds(delay(rng_)),
                                   Delivery{id, datagram});
            }
        }
    }

    Net net_;
    std::mt19937 rng_;
    TimePoint now_ = TimePoint{} + std::chrono::hours(1);
    std::map<std::string, SimNode> nodes_;
    std::multimap<TimePoint, Delivery> in_flight_;
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> wire_;
    bool record_ = false;
    std::set<std::string> mute_;
    bool idp_ = false;
    bool hurry_ = true;
    Duration hello_ = kHello;
    std::function<access::Role(const NodeId&, const NodeId&)> access_;
};

}  // namespace mcsec::control::mike::testing
