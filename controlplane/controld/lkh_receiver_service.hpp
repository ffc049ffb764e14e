// The receiver side of LKH in mcsec-controld (keying.mode = "lkh"; docs/protocol/lkh.md, "In
// the daemon"): for each protected group, register with whichever sender is the group's TM (the
// REGISTER goes to the discovery group; only the TM answers), then follow its pushes and hand
// every new TEK to the daemon, which installs it for receiving only. The box sends nothing but
// REGISTERs and no hellos: after registering it is silent.
//
// Falling behind (keys missed beyond what a State message repairs, or a new key server after a
// takeover): without EMCON the receiver registers again at once; under EMCON it raises
// KEYS_BEHIND once and stays silent until the operator lifts it (mcsecctl lkh-register GROUP).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lkh_effects.hpp"
#include "mcsec/config/config.hpp"
#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/key_reception.hpp"
#include "mcsec/control/lkh/receiver_registration.hpp"

namespace mcsec::control {

class LkhReceiverService {
  public:
    using TimePoint = lkh::TimePoint;
    using SenderCheck = std::function<bool(const config::Group&, const NodeId&,
                                           std::span<const std::uint8_t> credential)>;

    enum class Phase : std::uint8_t {
        Registering,  // REGISTER sent every retransmit interval until a WELCOME admits us
        Following,    // applying pushes
        Behind,       // under EMCON: keys missed, silent until the operator says register
    };

    LkhReceiverService(const config::LkhSettings& settings, const MessageAuthenticator& self,
                       SenderCheck is_sender, std::chrono::milliseconds retransmit);

    void add_group(const config::Group& group, TimePoint now);
    void on_registration(std::span<const std::uint8_t> datagram,
                         std::chrono::system_clock::time_point wall, TimePoint now,
                         LkhEffects& effects);
    void on_push(std::span<const std::uint8_t> datagram, std::chrono::system_clock::time_point wall,
                 TimePoint now, LkhEffects& effects);
    void poll(TimePoint now, LkhEffects& effects);
    std::optional<TimePoint> next_due() const;
    // The operator allows a transmission (EMCON lifted for it): register `group` again. Throws
    // std::invalid_argument for a group this box does not receive.
    void register_again(const std::string& group, TimePoint now);

    struct GroupView {
        const config::Group* group = nullptr;
        Phase phase = Phase::Registering;
        std::optional<NodeId> sender;  // who admitted us
        std::optional<lkh::NodeIndex> leaf;
        std::uint64_t last_message_id = 0;
        std::uint64_t tek_epoch = 0;
        std::uint32_t tek_spi = 0;
        std::uint64_t registers_sent = 0;
        std::uint64_t registrations = 0;  // admissions, this run
        std::uint64_t welcomes[lkh::kRegistrationVerdictCount] = {};
        std::uint64_t pushes[lkh::kReceptionVerdictCount] = {};
    };
    std::vector<GroupView> groups() const;
    bool emcon() const noexcept { return emcon_; }

  private:
    struct GroupState {
        const config::Group* group = nullptr;
        std::vector<std::uint8_t> id;
        Phase phase = Phase::Registering;
        std::optional<lkh::RegistrationRequest> request;
        std::optional<lkh::KeyReception> reception;
        std::optional<NodeId> sender;
        TimePoint next_register{};
        bool behind_alarmed = false;
        unsigned refusals = 0;  // in a row: each doubles the wait before the next REGISTER
        std::uint64_t registers_sent = 0;
        std::uint64_t registrations = 0;
        std::uint64_t welcomes[lkh::kRegistrationVerdictCount] = {};
        std::uint64_t pushes[lkh::kReceptionVerdictCount] = {};
    };
    void start_registering(GroupState& state, TimePoint now);
    void hand_out(GroupState& state, LkhEffects& effects);
    void fell_behind(GroupState& state, TimePoint now, LkhEffects& effects);

    bool emcon_;
    const MessageAuthenticator* self_;
    SenderCheck is_sender_;
    std::chrono::milliseconds retransmit_;
    std::vector<std::unique_ptr<GroupState>> groups_;
};

std::string_view to_string(LkhReceiverService::Phase phase) noexcept;

}  // namespace mcsec::control
