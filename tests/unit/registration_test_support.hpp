// An in-memory network of appliances for the registration tests: each node runs a Registry and a
// RegistrationClient, as mcsec-controld does, on one simulated clock. Datagrams travel by node id
// through a queue that a test can make lossy, and every delivered datagram is logged.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "idp_test_authenticator.hpp"
#include "mcsec/control/registration/dispatch.hpp"
#include "mcsec/control/registration/registration_client.hpp"
#include "mcsec/control/registration/registry.hpp"

namespace mcsec::control::registration::test {

using namespace std::chrono_literals;

inline config::IpAddress group_address(const char* text) {
    return *config::IpAddress::parse(text);
}

inline idp::TimePoint t0() {
    return idp::TimePoint{} + 1000h;
}

struct TestNode {
    TestNode(const NodeId& id, ClientConfig client_config, RegistryConfig registry_config,
             std::uint32_t spi_start)
        : auth(id),
          client(auth, 1000, client_config),
          registry(auth, 1000, spi_start, registry_config) {}

    idp::test::TestAuthenticator auth;
    RegistrationClient client;
    Registry registry;
    std::vector<Event> events;
    std::vector<AlarmRecord> alarms;
};

class SimNetwork {
  public:
    explicit SimNetwork(ClientConfig client_config = {}, RegistryConfig registry_config = {})
        : client_config_(client_config), registry_config_(registry_config) {}

    TestNode& add(const NodeId& id, std::uint32_t spi_start = 0x1000) {
        auto& node = nodes_[id];
        node = std::make_unique<TestNode>(id, client_config_, registry_config_, spi_start);
        return *node;
    }
    TestNode& node(const NodeId& id) { return *nodes_.at(id); }

    // Return true to drop a datagram on its way (loss).
    std::function<bool(const Outgoing&)> drop;

    // Takes what a call produced: events and alarms to its node's lists, datagrams onto the wire.
    void take(const NodeId& from, Outbox& out) {
        auto& node = *nodes_.at(from);
        node.events.insert(node.events.end(), out.events.begin(), out.events.end());
        node.alarms.insert(node.alarms.end(), out.alarms.begin(), out.alarms.end());
        for (auto& datagram : out.datagrams) {
            sent.push_back(datagram);
            if (!drop || !drop(datagram)) wire_.push_back({from, datagram});
        }
        out.clear();
    }

    // Delivers everything on the wire, including the answers it provokes.
    void deliver() {
        while (!wire_.empty()) {
            auto [from, datagram] = wire_.front();
            wire_.pop_front();
            const auto target = nodes_.find(datagram.to);
            if (target == nodes_.end()) continue;
            TestNode& node = *target->second;
            Outbox out;
            if (destination_for(datagram.datagram, node.registry) == Destination::Registry) {
                node.registry.on_datagram(datagram.datagram, from, now, {}, out);
            } else {
                node.client.on_datagram(datagram.datagram, from, now, {}, out);
            }
            take(datagram.to, out);
        }
    }

    // Moves the clock to `until`, firing every node's timers at their due times on the way.
    void advance_to(idp::TimePoint until) {
        for (;;) {
            std::optional<idp::TimePoint> due;
            for (auto& [id, node] : nodes_) {
                for (const auto at : {node->client.next_due(), node->registry.next_due()}) {
                    if (at && (!due || *at < *due)) due = at;
                }
            }
            if (!due || *due > until) break;
            now = std::max(now, *due);
            for (auto& [id, node] : nodes_) {
                Outbox out;
                node->client.on_timer(now, out);
                node->registry.on_timer(now, out);
                take(id, out);
            }
            deliver();
        }
        now = until;
    }
    void advance(idp::Duration by) { advance_to(now + by); }

    void set_tm(const NodeId& member, const config::IpAddress& group, const NodeId& tm) {
        Outbox out;
        node(member).client.set_tm(group, tm, now, out);
        take(member, out);
        deliver();
    }

    idp::TimePoint now = t0();
    // Every datagram sent, dropped or not.
    std::vector<Outgoing> sent;

  private:
    ClientConfig client_config_;
    RegistryConfig registry_config_;
    std::map<NodeId, std::unique_ptr<TestNode>> nodes_;
    std::deque<std::pair<NodeId, Outgoing>> wire_;
};

inline std::size_t count_events(const std::vector<Event>& events, EventKind kind) {
    std::size_t n = 0;
    for (const auto& event : events) n += event.kind == kind ? 1 : 0;
    return n;
}

inline std::size_t count_alarms(const std::vector<AlarmRecord>& alarms, AlarmKind kind,
                                AlarmOrigin origin) {
    std::size_t n = 0;
    for (const auto& alarm : alarms) n += alarm.kind == kind && alarm.origin == origin ? 1 : 0;
    return n;
}

inline MessageType type_of(const std::vector<std::uint8_t>& datagram) {
    return static_cast<MessageType>(datagram.at(3));
}

}  // namespace mcsec::control::registration::test
