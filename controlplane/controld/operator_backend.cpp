#include "operator_backend.hpp"

#include <unistd.h>

#include <ctime>
#include <stdexcept>

#include "datagram_admission.hpp"
#include "lkh_operator_view.hpp"
#include "mcsec/control/identity/failure_caching_authenticator.hpp"
#include "mcsec/control/idp/hello_verdict.hpp"
#include "mcsec/control/mike/protocol/verdict.hpp"

namespace mcsec::control {

namespace {

using api::Json;

long long ms_since(idp::TimePoint then) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(idp::Clock::now() - then).count();
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

// The TM lists who registered (and until when); a member says where its registration stands.
Json registration_of(const Daemon& daemon, const Daemon::GroupEngine& engine) {
    const RegistrationService* service = daemon.registration();
    if (service == nullptr) return nullptr;
    const auto& group = engine.group->address;
    if (service->registry().serves(group)) {
        Json members = Json::array();
        for (const auto& m : service->registry().members(group)) {
            members.push_back({{"node_id", m.node},
                               {"expires_in_ms", -ms_since(m.expires)},
                               {"registered_ms_ago", ms_since(m.registered_since)}});
        }
        return {{"role", "tm"}, {"members", members}};
    }
    const auto membership = service->client().membership(group);
    if (!membership) return nullptr;
    return {{"role", "member"},
            {"state", std::string(registration::to_string(membership->state))},
            {"tm", membership->tm},
            {"expires_in_ms",
             membership->expires ? Json(-ms_since(*membership->expires)) : Json(nullptr)},
            {"granted_epoch", membership->epoch},
            {"granted_spi", membership->spi}};
}

// What the peer announced over the TLS prefix exchange; null with a PSK identity (no exchange).
Json prefixes_of(const Daemon& daemon, const std::string& peer) {
    const idp::PrefixExchange* exchange = daemon.prefix_exchange();
    if (exchange == nullptr) return nullptr;
    Json out = Json::array();
    if (const auto* prefixes = exchange->peer_prefixes(peer)) {
        for (const auto& prefix : *prefixes) out.push_back(prefix.to_string());
    }
    return out;
}

Json registration_counters(const registration::Counters& counters) {
    Json out = Json::object();
    for (size_t v = 0; v < registration::kVerdictCount; ++v) {
        out[std::string(registration::counter_name(static_cast<registration::Verdict>(v)))] =
            counters.verdicts[v];
    }
    return out;
}

}  // namespace

Json DaemonOperatorBackend::status() {
    const auto& cfg = daemon_.config();
    const auto peers = daemon_.peers().peers();
    size_t up = 0;
    for (const auto& p : peers) up += p.state == idp::PeerState::Up ? 1 : 0;
    size_t keyed = 0;
    for (const auto& g : daemon_.groups()) keyed += g.keyed_at ? 1 : 0;
    return {{"instance", cfg.instance.name},
            {"node_id", cfg.instance.name},
            {"version", "0.1.0"},
            {"pid", getpid()},
            {"uptime_s", ms_since(daemon_.started_at()) / 1000},
            {"keying_mode", std::string(config::to_string(cfg.keying.mode))},
            {"dataplane", daemon_.attached() ? "attached" : "detached"},
            {"peers_up", up},
            {"peers_known", peers.size()},
            {"groups_protected", daemon_.groups().size()},
            {"groups_keyed", keyed},
            {"alarms", daemon_.alarms().entries().size()}};
}

Json DaemonOperatorBackend::peers() {
    Json out = Json::array();
    for (const auto& p : daemon_.peers().peers()) {
        out.push_back({{"node_id", p.node_id},
                       {"state", std::string(idp::to_string(p.state))},
                       {"black_address", p.black_address.to_string()},
                       {"startup_timestamp", p.startup_timestamp},
                       {"sequence", p.sequence},
                       {"last_heard_ms", ms_since(p.last_heard)},
                       {"prefixes", prefixes_of(daemon_, p.node_id)}});
    }
    return out;
}

Json DaemonOperatorBackend::groups() {
    Json out = Json::array();
    for (const auto& g : daemon_.groups()) {
        const auto& k = g.keying;
        out.push_back(
            {{"group", g.group->address.to_string()},
             {"source", g.group->source ? Json(g.group->source->to_string()) : Json(nullptr)},
             {"black_group",
              g.group->black_group ? Json(g.group->black_group->to_string()) : Json(nullptr)},
             {"policy", g.group->policy},
             {"state", g.keyed_at ? "keyed" : "no_key"},
             {"role", k.is_tm() ? "tm" : "member"},
             {"phase", std::string(mike::to_string(k.phase()))},
             {"tm", k.tm().empty() ? Json(nullptr) : Json(k.tm())},
             {"epoch", k.epoch() ? Json(k.epoch()) : Json(nullptr)},
             {"members", k.members()},
             {"spi", g.spi ? Json(*g.spi) : Json(nullptr)},
             {"registration", registration_of(daemon_, g)},
             {"rekeyed_ms_ago", g.keyed_at ? Json(ms_since(*g.keyed_at)) : Json(nullptr)}});
    }
    for (auto& row : lkh_receiver_group_rows(daemon_)) out.push_back(std::move(row));
    return out;
}

Json DaemonOperatorBackend::sas() {
    Json out = Json::array();
    if (const SaInstaller* installer = daemon_.installer()) {
        for (const auto& [group, sas] : installer->snapshot()) {
            const Daemon::GroupEngine* engine = nullptr;
            for (const auto& g : daemon_.groups()) {
                if (selector_name(*g.group) == group) engine = &g;
            }
            for (const auto& sa : sas.sas) {
                const bool sending = sas.sending_spi && *sas.sending_spi == sa.spi;
                const auto epoch = engine
                                       ? engine->epoch_of_spi.find(sa.spi)
                                       : std::map<std::uint32_t, std::uint64_t>::const_iterator{};
                const bool known_epoch = engine && epoch != engine->epoch_of_spi.end();
                out.push_back(
                    {{"group", group},
                     {"spi", sa.spi},
                     // Group SAs carry both directions: every SA receives; one also sends.
                     {"direction", sending ? "outbound" : "inbound"},
                     {"state", sa.retiring ? "retiring" : "active"},
                     // null: adopted from a previous run (the epoch is not in the region)
                     {"epoch", known_epoch ? Json(epoch->second) : Json(nullptr)},
                     {"sender_id", sa.sender_id},
                     {"slot", sa.slot},
                     {"installed_ms_ago",
                      sa.installed_at ? Json(ms_since(*sa.installed_at)) : Json(nullptr)}});
            }
        }
    }
    return out;
}

Json DaemonOperatorBackend::alarms() {
    Json out = Json::array();
    for (const auto& a : daemon_.alarms().entries()) {
        out.push_back({{"time", rfc3339(a.time)},
                       {"kind", a.kind},
                       {"origin", a.origin},
                       {"group", a.group.empty() ? Json(nullptr) : Json(a.group)},
                       {"peer", a.peer},
                       {"spi", a.spi},
                       {"detail", a.detail}});
    }
    return out;
}

Json DaemonOperatorBackend::counters() {
    Json hello = Json::object();
    const auto& hc = daemon_.peers().counters();
    for (size_t v = 0; v < idp::kHelloVerdictCount; ++v) {
        hello[std::string(idp::counter_name(static_cast<idp::HelloVerdict>(v)))] = hc.verdicts[v];
    }
    Json mike = Json::object();
    for (const auto& g : daemon_.groups()) {
        Json received = Json::object();
        const auto& mc = g.keying.counters();
        for (size_t v = 0; v < mike::kMikeVerdictCount; ++v) {
            received[std::string(mike::counter_name(static_cast<mike::MikeVerdict>(v)))] =
                mc.received[v];
        }
        mike[g.group->address.to_string()] = {{"received", received},
                                              {"sent", mc.sent},
                                              {"epochs_completed", mc.epochs_completed},
                                              {"rekeys_started", mc.rekeys_started},
                                              {"joins_denied", mc.joins_denied},
                                              {"joins_refused", mc.joins_refused},
                                              {"sponsor_timeouts", mc.sponsor_timeouts},
                                              {"key_failures", mc.key_failures},
                                              {"phase_changes", mc.phase_changes},
                                              {"unlisted_transitions", mc.unlisted_transitions}};
    }
    Json registration = Json::object();
    if (const RegistrationService* service = daemon_.registration()) {
        registration = {{"member", registration_counters(service->client().counters())},
                        {"tm", registration_counters(service->registry().counters())}};
    }
    Json prefix = nullptr;
    if (const auto* exchange = daemon_.prefix_exchange()) {
        Json verdicts = Json::object();
        for (size_t v = 0; v < idp::kPrefixVerdictCount; ++v) {
            const auto verdict = static_cast<idp::PrefixVerdict>(v);
            verdicts[std::string(idp::counter_name(verdict))] = exchange->count(verdict);
        }
        const auto& c = daemon_.prefix_channel()->counters();
        prefix = {{"verdicts", verdicts},
                  {"tls",
                   {{"connects", c.connects},
                    {"accepts", c.accepts},
                    {"handshake_failures", c.handshake_failures},
                    {"connection_errors", c.connection_errors},
                    {"messages_sent", c.messages_sent},
                    {"messages_received", c.messages_received},
                    {"malformed", c.malformed},
                    {"dropped", c.dropped},
                    {"refused_inbound", c.refused_inbound},
                    {"replaced_inbound", c.replaced_inbound},
                    {"accept_errors", c.accept_errors}}}};
    }
    Json alarms = Json::object();
    for (const auto& [kind, c] : daemon_.alarms().counters()) {
        alarms[kind] = {{"raised", c.raised}, {"suppressed", c.suppressed}};
    }
    // What the admission stage did with each datagram before any protocol saw it.
    Json admission = Json::object();
    for (std::size_t i = 0; i < kAdmissionVerdictCount; ++i) {
        const auto verdict = static_cast<AdmissionVerdict>(i);
        admission[std::string(to_string(verdict))] = daemon_.admission().count(verdict);
    }
    admission["tracked_sources"] = daemon_.admission().tracked_sources();
    admission["socket_receive_buffer_bytes"] = daemon_.socket_receive_buffer_bytes();
    Json failed_cache = Json::object();
    if (const auto* caching =
            dynamic_cast<const identity::FailureCachingAuthenticator*>(&daemon_.authenticator())) {
        failed_cache = {{"hits", caching->cache().hits()},
                        {"entries", caching->cache().size()},
                        {"evictions", caching->cache().evictions()}};
    }
    return {{"unknown_datagrams", daemon_.unknown_datagrams()},
            {"admission", admission},
            {"failed_verification_cache", failed_cache},
            {"alarms", alarms},
            {"prefix_exchange", prefix},
            {"unroutable_datagrams", daemon_.unroutable_datagrams()},
            {"refused_announcements", daemon_.refused_announcements()},
            {"send_failures", daemon_.send_failures()},
            {"registration", registration},
            {"hello_verdicts", hello},
            {"mike", mike},
            {"lkh", lkh_counters_view(daemon_)}};
}

Json DaemonOperatorBackend::rekey(std::optional<std::string> group) {
    try {
        return {{"started", daemon_.rekey(group)}};
    } catch (const std::invalid_argument& e) {
        throw api::OperatorError(e.what());
    } catch (const std::logic_error& e) {
        throw api::OperatorError(e.what());
    }
}

// The LKH requests: std::invalid_argument and std::logic_error are the operator's mistakes.
template <typename Call>
Json refused_as_operator_error(Call call) {
    try {
        return call();
    } catch (const std::invalid_argument& e) {
        throw api::OperatorError(e.what());
    } catch (const std::logic_error& e) {
        throw api::OperatorError(e.what());
    }
}

Json DaemonOperatorBackend::receivers(const std::string& group) {
    return refused_as_operator_error([&] { return lkh_receivers_view(daemon_, group); });
}

Json DaemonOperatorBackend::revoke(const std::string& group, const std::string& node) {
    return refused_as_operator_error([&] {
        return Json{
            {"group", group}, {"node", node}, {"outcome", daemon_.revoke_receiver(group, node)}};
    });
}

Json DaemonOperatorBackend::lkh_register(const std::string& group) {
    return refused_as_operator_error([&] {
        daemon_.register_again(group);
        return Json{{"group", group}, {"registering", true}};
    });
}

}  // namespace mcsec::control
