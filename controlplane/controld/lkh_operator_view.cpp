#include "lkh_operator_view.hpp"

#include <stdexcept>

namespace mcsec::control {

namespace {

using api::Json;

Json registration_verdicts(const std::uint64_t (&counts)[lkh::kRegistrationVerdictCount]) {
    Json out = Json::object();
    for (std::size_t v = 0; v < lkh::kRegistrationVerdictCount; ++v) {
        out[std::string(lkh::counter_name(static_cast<lkh::RegistrationVerdict>(v)))] = counts[v];
    }
    return out;
}

Json reception_verdicts(const std::uint64_t (&counts)[lkh::kReceptionVerdictCount]) {
    Json out = Json::object();
    for (std::size_t v = 0; v < lkh::kReceptionVerdictCount; ++v) {
        out[std::string(lkh::counter_name(static_cast<lkh::ReceptionVerdict>(v)))] = counts[v];
    }
    return out;
}

Json distribution_counters(const lkh::KeyDistribution* distribution) {
    if (distribution == nullptr) return nullptr;
    const auto& c = distribution->counters();
    return {{"admissions", c.admissions},
            {"revocations", c.revocations},
            {"rekeys", c.rekeys},
            {"messages", c.messages},
            {"state_messages", c.state_messages},
            {"wraps", c.wraps},
            {"datagrams_sent", c.datagrams_sent},
            {"bytes_sent", c.bytes_sent}};
}

Json receiver_row(const LkhReceiverService::GroupView& g) {
    return {{"group", g.group->address.to_string()},
            {"phase", std::string(to_string(g.phase))},
            {"sender", g.sender ? Json(*g.sender) : Json(nullptr)},
            {"leaf", g.leaf ? Json(*g.leaf) : Json(nullptr)},
            {"last_message_id", g.last_message_id},
            {"epoch", g.tek_epoch ? Json(g.tek_epoch) : Json(nullptr)},
            {"spi", g.tek_epoch ? Json(g.tek_spi) : Json(nullptr)},
            {"registers_sent", g.registers_sent},
            {"registrations", g.registrations}};
}

}  // namespace

Json lkh_receivers_view(const Daemon& daemon, const std::string& group) {
    if (const LkhSenderService* sender = daemon.lkh_sender()) {
        for (const auto& g : sender->groups()) {
            if (g.group->address.to_string() != group) continue;
            Json receivers = Json::array();
            Json tree = nullptr;
            if (g.distribution != nullptr) {
                for (const auto& [node, leaf] : g.distribution->receivers()) {
                    receivers.push_back({{"node_id", node}, {"leaf", leaf}});
                }
                const auto& shape = g.distribution->shape();
                tree = {{"degree", shape.degree()},
                        {"height", shape.height()},
                        {"capacity", shape.leaf_count()}};
            }
            Json revoked = Json::array();
            for (const auto& node : *g.revoked) revoked.push_back(node);
            return {{"group", group},
                    {"role", g.serving ? "key_server" : "sender"},
                    {"tree_id", g.distribution ? Json(g.distribution->tree_id()) : Json(nullptr)},
                    {"replica_from", g.replica_from ? Json(*g.replica_from) : Json(nullptr)},
                    {"tree", tree},
                    {"receivers", g.serving ? receivers : Json(nullptr)},
                    {"revoked_here", revoked},
                    {"counters", distribution_counters(g.distribution)}};
        }
    }
    if (const LkhReceiverService* receiver = daemon.lkh_receiver()) {
        for (const auto& g : receiver->groups()) {
            if (g.group->address.to_string() != group) continue;
            Json row = receiver_row(g);
            row["role"] = "receiver";
            row["emcon"] = receiver->emcon();
            return row;
        }
    }
    throw std::invalid_argument("no group " + group + " with LKH key distribution on this box");
}

Json lkh_counters_view(const Daemon& daemon) {
    Json out = Json::object();
    if (const LkhSenderService* sender = daemon.lkh_sender()) {
        for (const auto& g : sender->groups()) {
            out[g.group->address.to_string()] = {
                {"serving", g.serving},
                {"trees_started", g.trees_started},
                {"trees_continued", g.trees_continued},
                {"registrations_deferred", g.deferred},
                {"replicas_sent", g.replicas_sent},
                {"replicas_received", g.replicas_received},
                {"split_brains", g.split_brains},
                {"registrations", registration_verdicts(g.registrations)},
                {"distribution", distribution_counters(g.distribution)}};
        }
        return out;
    }
    if (const LkhReceiverService* receiver = daemon.lkh_receiver()) {
        for (const auto& g : receiver->groups()) {
            out[g.group->address.to_string()] = {{"registers_sent", g.registers_sent},
                                                 {"welcomes", registration_verdicts(g.welcomes)},
                                                 {"pushes", reception_verdicts(g.pushes)}};
        }
        return out;
    }
    return nullptr;
}

Json lkh_receiver_group_rows(const Daemon& daemon) {
    Json out = Json::array();
    const LkhReceiverService* receiver = daemon.lkh_receiver();
    if (receiver == nullptr) return out;
    for (const auto& g : receiver->groups()) {
        Json row = receiver_row(g);
        row["source"] = g.group->source ? Json(g.group->source->to_string()) : Json(nullptr);
        row["black_group"] =
            g.group->black_group ? Json(g.group->black_group->to_string()) : Json(nullptr);
        row["policy"] = g.group->policy;
        row["state"] = g.tek_epoch ? "keyed" : "no_key";
        row["role"] = "lkh_receiver";
        row["tm"] = row["sender"];
        row["members"] = Json::array();
        out.push_back(row);
    }
    return out;
}

}  // namespace mcsec::control
