// A receiver's checks on LKH push datagrams, cheapest first, then ReceiverKeys::apply.
#include "mcsec/control/lkh/key_reception.hpp"

#include <algorithm>
#include <array>

#include "mcsec/control/verdict_table.hpp"

namespace mcsec::control::lkh {

namespace {

using enum LkhAlarm;
constexpr std::array<VerdictRow<LkhAlarm>, kReceptionVerdictCount> kRows{
    {MCSEC_LKH_RECEPTION_VERDICTS(MCSEC_VERDICT_ROW)}};

}  // namespace

std::string_view to_string(ReceptionVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).text;
}

std::string_view counter_name(ReceptionVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).counter;
}

LkhAlarm alarm_for(ReceptionVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).alarm;
}

std::optional<KeyReception> KeyReception::create(const ReceptionParams& params,
                                                 const MessageAuthenticator& verifier) {
    const Registration* r = params.registration;
    if (r == nullptr || !params.is_sender) return std::nullopt;
    auto keys =
        ReceiverKeys::create(params.group_id, params.shape, r->leaf, r->individual_key.view(),
                             r->last_message_id, r->path_seeds.view(), r->root_version);
    if (!keys) return std::nullopt;
    if (r->tek_epoch != 0 && !keys->set_tek(r->tek_epoch, r->tek_spi, r->tek.view())) {
        return std::nullopt;
    }
    ReceptionParams kept = params;
    kept.registration = nullptr;  // ReceiverKeys holds the copies
    KeyReception out(std::move(kept), verifier, std::move(*keys));
    out.handed_epoch_ = r->tek_epoch;
    out.tree_id_ = r->tree_id;  // the daemon installs the registration's TEK itself
    return out;
}

KeyReception::KeyReception(ReceptionParams params, const MessageAuthenticator& verifier,
                           ReceiverKeys keys)
    : params_(std::move(params)), verifier_(&verifier), keys_(std::move(keys)) {}

ReceptionVerdict KeyReception::on_datagram(std::span<const std::uint8_t> datagram,
                                           std::chrono::system_clock::time_point wall) {
    ParsedPush parsed;
    if (parse_push(datagram, parsed) != PushParseError::Ok) {
        return count_as(ReceptionVerdict::Malformed);
    }
    const PushContent& push = parsed.content;
    if (push.group_id != params_.group_id) return count_as(ReceptionVerdict::OtherGroup);
    // Cheap checks before the signature: only the group's senders push, and identical copies
    // (by design, three of each) are replays that cost no verification.
    if (!params_.is_sender(parsed.sender, parsed.credential))
        return count_as(ReceptionVerdict::NotFromSender);
    // Message ids count within a tree; another tree's message is judged after its signature.
    if (push.tree_id == tree_id_ && push.message_id <= keys_.last_message_id()) {
        return count_as(ReceptionVerdict::Replay);
    }
    const AuthResult auth = verifier_->verify(parsed.sender, parsed.credential, parsed.signed_bytes,
                                              parsed.signature, wall);
    if (auth != AuthResult::Ok) return count_as(auth_verdict<ReceptionVerdict>(auth));
    if (push.tree_id != tree_id_) {
        // A designated sender that could not continue this receiver's tree started its own:
        // none of its messages can be opened with these keys, a State message included.
        behind_ = reregister_ = true;
        return count_as(ReceptionVerdict::OtherTree);
    }
    const ApplyResult result = keys_.apply(push);
    if (result == ApplyResult::WrongTree) return count_as(ReceptionVerdict::WrongTree);
    if (result == ApplyResult::Replayed) return count_as(ReceptionVerdict::Replay);
    if (const auto& tek = keys_.tek(); tek && tek->epoch > handed_epoch_) {
        handed_epoch_ = tek->epoch;
        WipedBuffer copy(tek->key_and_salt.size());
        std::ranges::copy(tek->key_and_salt.view(), copy.writable().begin());
        new_teks_.push_back(ReceiverKeys::CurrentTek{tek->epoch, tek->spi, std::move(copy)});
    }
    if (result == ApplyResult::Behind) {
        // Behind after a State message too: the State did not reach back far enough.
        if (push.kind == PushKind::State && push.tek) reregister_ = true;
        behind_ = true;
        return count_as(ReceptionVerdict::Behind);
    }
    if (push.tek) behind_ = reregister_ = false;  // holding the current root and TEK again
    return count_as(ReceptionVerdict::Accepted);
}

std::optional<ReceiverKeys::CurrentTek> KeyReception::take_new_tek() {
    if (new_teks_.empty()) return std::nullopt;
    auto tek = std::move(new_teks_.front());
    new_teks_.pop_front();
    return tek;
}

}  // namespace mcsec::control::lkh
