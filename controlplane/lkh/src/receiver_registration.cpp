// REGISTER and WELCOME: a receiver's pull of its LKH keys from the designated sender.
#include "mcsec/control/lkh/receiver_registration.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "group_id_field.hpp"
#include "mcsec/control/mike/hkdf.hpp"
#include "mcsec/control/verdict_table.hpp"
#include "mcsec/control/wire/fields.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::lkh {

namespace {

enum class Type : std::uint8_t { Register = 1, Welcome = 2 };

constexpr wire::FrameFormat kFrameFormat{'L',
                                         'R',
                                         1,
                                         static_cast<std::uint8_t>(Type::Register),
                                         static_cast<std::uint8_t>(Type::Welcome),
                                         8192};
constexpr std::string_view kSealLabel = "mcsec lkh welcome";

using enum LkhAlarm;
constexpr std::array<VerdictRow<LkhAlarm>, 0
#define MCSEC_LKH_REG_COUNT(name, counter, text, alarm) +1
                     MCSEC_LKH_REGISTRATION_VERDICTS(MCSEC_LKH_REG_COUNT)
#undef MCSEC_LKH_REG_COUNT
                     >
    kRows{{MCSEC_LKH_REGISTRATION_VERDICTS(MCSEC_VERDICT_ROW)}};

struct RegisterMessage {
    std::vector<std::uint8_t> group_id;
    NodeId receiver;
    std::array<std::uint8_t, kRegistrationNonceBytes> nonce{};
    mike::X25519PublicKey ephemeral{};
    std::vector<std::uint8_t> credential;
};

struct WelcomeMessage {
    std::vector<std::uint8_t> group_id;
    NodeId sender;
    NodeId receiver;
    std::array<std::uint8_t, kRegistrationNonceBytes> nonce{};
    WelcomeStatus status = WelcomeStatus::Admitted;
    std::uint8_t degree = 0;
    std::uint8_t height = 0;
    NodeIndex leaf = 0;
    std::uint64_t root_version = 0;
    std::uint64_t last_message_id = 0;
    std::uint64_t tree_id = 0;
    std::uint64_t tek_epoch = 0;
    std::uint32_t tek_spi = 0;
    mike::X25519PublicKey ephemeral{};
    std::vector<std::uint8_t> sealed;
    std::vector<std::uint8_t> credential;
};

template <std::size_t N>
bool read_array(wire::ByteReader& reader, std::array<std::uint8_t, N>& out) {
    const auto bytes = reader.bytes(N);
    if (!bytes) return false;
    std::ranges::copy(*bytes, out.begin());
    return true;
}

std::vector<std::uint8_t> encode_register(const RegisterMessage& m,
                                          const MessageAuthenticator& signer) {
    std::vector<std::uint8_t> out;
    wire::ByteWriter writer(out);
    const std::size_t start =
        wire::begin_frame(writer, kFrameFormat, static_cast<std::uint8_t>(Type::Register));
    write_group_id(writer, m.group_id);
    wire::write_node_id(writer, m.receiver);
    writer.bytes(m.nonce);
    writer.bytes(m.ephemeral);
    wire::finish_signed_frame(out, writer, start, kFrameFormat, signer, "LKH REGISTER");
    return out;
}

std::vector<std::uint8_t> encode_welcome(const WelcomeMessage& m,
                                         const MessageAuthenticator& signer) {
    std::vector<std::uint8_t> out;
    wire::ByteWriter writer(out);
    const std::size_t start =
        wire::begin_frame(writer, kFrameFormat, static_cast<std::uint8_t>(Type::Welcome));
    write_group_id(writer, m.group_id);
    wire::write_node_id(writer, m.sender);
    wire::write_node_id(writer, m.receiver);
    writer.bytes(m.nonce);
    writer.u8(static_cast<std::uint8_t>(m.status));
    if (m.status == WelcomeStatus::Admitted) {
        writer.u8(m.degree);
        writer.u8(m.height);
        writer.u32(m.leaf);
        writer.u64(m.root_version);
        writer.u64(m.last_message_id);
        writer.u64(m.tree_id);
        writer.u64(m.tek_epoch);
        writer.u32(m.tek_spi);
        writer.bytes(m.ephemeral);
        writer.u16(static_cast<std::uint16_t>(m.sealed.size()));
        writer.bytes(m.sealed);
    }
    wire::finish_signed_frame(out, writer, start, kFrameFormat, signer, "LKH WELCOME");
    return out;
}

// Structure of either message; the signature parts stay in `frame`.
bool parse(std::span<const std::uint8_t> datagram, wire::SignedFrame& frame,
           std::optional<RegisterMessage>& reg, std::optional<WelcomeMessage>& welcome) {
    if (wire::open_signed_frame(datagram, kFrameFormat, frame) != wire::FrameError::Ok) {
        return false;
    }
    wire::ByteReader reader(frame.body);
    if (frame.header.type == static_cast<std::uint8_t>(Type::Register)) {
        RegisterMessage m;
        if (!read_group_id(reader, m.group_id) ||
            wire::read_node_id(reader, m.receiver) != wire::FieldError::Ok ||
            !read_array(reader, m.nonce) || !read_array(reader, m.ephemeral) ||
            wire::read_credential(reader, m.credential) != wire::FrameError::Ok ||
            reader.remaining() != 0) {
            return false;
        }
        reg = std::move(m);
        return true;
    }
    WelcomeMessage m;
    if (!read_group_id(reader, m.group_id) ||
        wire::read_node_id(reader, m.sender) != wire::FieldError::Ok ||
        wire::read_node_id(reader, m.receiver) != wire::FieldError::Ok ||
        !read_array(reader, m.nonce)) {
        return false;
    }
    const auto status = reader.u8();
    if (!status || *status > static_cast<std::uint8_t>(WelcomeStatus::TreeFull)) return false;
    m.status = static_cast<WelcomeStatus>(*status);
    if (m.status == WelcomeStatus::Admitted) {
        const auto degree = reader.u8();
        const auto height = reader.u8();
        const auto leaf = reader.u32();
        const auto root_version = reader.u64();
        const auto last = reader.u64();
        const auto tree = reader.u64();
        const auto epoch = reader.u64();
        const auto spi = reader.u32();
        if (!spi || !read_array(reader, m.ephemeral)) return false;
        const auto sealed_length = reader.u16();
        if (!sealed_length) return false;
        const auto sealed = reader.bytes(*sealed_length);
        if (!sealed) return false;
        const auto shape = TreeShape::of(*degree, *height);
        if (!shape || !shape->is_leaf(*leaf)) return false;
        m.degree = *degree;
        m.height = *height;
        m.leaf = *leaf;
        m.root_version = *root_version;
        m.last_message_id = *last;
        m.tree_id = *tree;
        m.tek_epoch = *epoch;
        m.tek_spi = *spi;
        m.sealed.assign(sealed->begin(), sealed->end());
    }
    if (wire::read_credential(reader, m.credential) != wire::FrameError::Ok ||
        reader.remaining() != 0) {
        return false;
    }
    welcome = std::move(m);
    return true;
}

// The key that seals a WELCOME's keys: HKDF-SHA256(X25519 shared secret, salt = nonce,
// info = label || group || receiver id).
std::optional<WipedBuffer> seal_key(const mike::X25519PrivateKey& own,
                                    const mike::X25519PublicKey& peer,
                                    std::span<const std::uint8_t> nonce,
                                    const std::vector<std::uint8_t>& group,
                                    const NodeId& receiver) {
    mike::X25519SharedSecret shared;
    if (own.agree(peer, shared) != mike::MikeError::Ok) return std::nullopt;
    std::vector<std::uint8_t> info(kSealLabel.begin(), kSealLabel.end());
    info.insert(info.end(), group.begin(), group.end());
    info.insert(info.end(), receiver.begin(), receiver.end());
    WipedBuffer key(kKekBytes);
    if (mike::hkdf_sha256(shared.view(), nonce, info, key.writable()) != mike::MikeError::Ok) {
        return std::nullopt;
    }
    return key;
}

}  // namespace

std::string_view to_string(RegistrationVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).text;
}
std::string_view counter_name(RegistrationVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).counter;
}
LkhAlarm alarm_for(RegistrationVerdict verdict) noexcept {
    return verdict_row(kRows, verdict).alarm;
}

bool parses_as_registration_message(std::span<const std::uint8_t> datagram) {
    wire::SignedFrame frame;
    std::optional<RegisterMessage> reg;
    std::optional<WelcomeMessage> welcome;
    return parse(datagram, frame, reg, welcome);
}

// ---- receiver ----

std::optional<RegistrationRequest> RegistrationRequest::create(std::vector<std::uint8_t> group_id,
                                                               const MessageAuthenticator& self) {
    if (group_id.empty() || group_id.size() > 255) return std::nullopt;
    auto ephemeral = mike::X25519PrivateKey::generate();
    if (!ephemeral) return std::nullopt;
    RegistrationRequest out(std::move(group_id), self.node_id(), std::move(ephemeral).value());
    if (RAND_bytes(out.nonce_.data(), static_cast<int>(out.nonce_.size())) != 1) {
        return std::nullopt;
    }
    RegisterMessage m{out.group_id_, out.self_, out.nonce_, out.ephemeral_.public_key(), {}};
    out.datagram_ = encode_register(m, self);
    return out;
}

RegistrationRequest::RegistrationRequest(std::vector<std::uint8_t> group_id, NodeId self,
                                         mike::X25519PrivateKey ephemeral)
    : group_id_(std::move(group_id)), self_(std::move(self)), ephemeral_(std::move(ephemeral)) {}

RegistrationRequest::Welcome RegistrationRequest::open(
    std::span<const std::uint8_t> datagram, const MessageAuthenticator& verifier,
    const NodeCheck& is_sender, std::chrono::system_clock::time_point wall) const {
    Welcome out;
    wire::SignedFrame frame;
    std::optional<RegisterMessage> reg;
    std::optional<WelcomeMessage> m;
    if (!parse(datagram, frame, reg, m)) return out;
    if (!m) {
        // Another receiver's REGISTER: receivers send theirs to the discovery group.
        out.verdict = RegistrationVerdict::NotExpected;
        return out;
    }
    out.sender = m->sender;
    if (m->group_id != group_id_) {
        out.verdict = RegistrationVerdict::OtherGroup;
        return out;
    }
    if (m->receiver != self_ || m->nonce != nonce_ || !is_sender(m->sender, m->credential)) {
        out.verdict = RegistrationVerdict::NotExpected;
        return out;
    }
    const AuthResult auth =
        verifier.verify(m->sender, m->credential, frame.signed_bytes, frame.signature, wall);
    if (auth != AuthResult::Ok) {
        out.verdict = auth_verdict<RegistrationVerdict>(auth);
        return out;
    }
    if (m->status != WelcomeStatus::Admitted) {
        out.verdict = m->status == WelcomeStatus::TreeFull ? RegistrationVerdict::TreeFull
                                                           : RegistrationVerdict::Refused;
        return out;
    }
    out.verdict = RegistrationVerdict::Unsealable;
    const auto key = seal_key(ephemeral_, m->ephemeral, nonce_, group_id_, self_);
    if (!key) return out;
    auto plain = unwrap_key_padded(key->view(), m->sealed);
    if (!plain) return out;
    const WipedBuffer keys = WipedBuffer::adopt(std::move(*plain));
    const auto shape = *TreeShape::of(m->degree, m->height);
    // individual key | TEK length u8 | TEK | path seeds (none, or height x kSeedBytes)
    const auto bytes = keys.view();
    if (bytes.size() < kKekBytes + 1) return out;
    const std::size_t tek_length = bytes[kKekBytes];
    if (tek_length != 0 && tek_length != 20 && tek_length != kMaxTekBytes) return out;
    const std::size_t seeds_at = kKekBytes + 1 + tek_length;
    if (bytes.size() < seeds_at) return out;
    const std::size_t seeds = bytes.size() - seeds_at;
    if (seeds != 0 && seeds != shape.height() * kSeedBytes) return out;
    if ((tek_length == 0) != (m->tek_epoch == 0)) return out;
    Registration r;
    r.leaf = m->leaf;
    r.individual_key = WipedBuffer(kKekBytes);
    std::ranges::copy(bytes.first(kKekBytes), r.individual_key.writable().begin());
    r.tek = WipedBuffer(tek_length);
    std::ranges::copy(bytes.subspan(kKekBytes + 1, tek_length), r.tek.writable().begin());
    r.path_seeds = WipedBuffer(seeds);
    std::ranges::copy(bytes.subspan(seeds_at), r.path_seeds.writable().begin());
    r.root_version = m->root_version;
    r.last_message_id = m->last_message_id;
    r.tree_id = m->tree_id;
    r.tek_epoch = m->tek_epoch;
    r.tek_spi = m->tek_spi;
    out.shape = shape;
    out.registration = std::move(r);
    out.verdict = RegistrationVerdict::Accepted;
    return out;
}

// ---- designated sender ----

RegistrationDesk::Answer RegistrationDesk::on_register(std::span<const std::uint8_t> datagram,
                                                       std::chrono::system_clock::time_point wall,
                                                       TimePoint now) {
    Answer out;
    wire::SignedFrame frame;
    std::optional<RegisterMessage> reg;
    std::optional<WelcomeMessage> welcome;
    if (!parse(datagram, frame, reg, welcome)) return out;
    if (!reg) {
        out.verdict = RegistrationVerdict::NotExpected;  // a WELCOME is not for the desk
        return out;
    }
    out.receiver = reg->receiver;
    if (reg->group_id != group_id_) {
        out.verdict = RegistrationVerdict::OtherGroup;
        return out;
    }
    // The access list before any signature work (as MIKE's registration does).
    if (!is_receiver_(reg->receiver, reg->credential)) {
        out.verdict = RegistrationVerdict::NotAReceiver;
        return out;
    }
    if (const auto last = last_.find(reg->receiver);
        last != last_.end() && last->second.nonce == reg->nonce) {
        out.verdict = RegistrationVerdict::Repeated;
        out.reply = last->second.reply;
        return out;
    }
    const AuthResult auth =
        self_->verify(reg->receiver, reg->credential, frame.signed_bytes, frame.signature, wall);
    if (auth != AuthResult::Ok) {
        out.verdict = auth_verdict<RegistrationVerdict>(auth);
        return out;
    }
    WelcomeMessage m;
    m.group_id = group_id_;
    m.sender = self_->node_id();
    m.receiver = reg->receiver;
    m.nonce = reg->nonce;
    auto registration = distribution_->admit(reg->receiver, now);
    if (!registration) {
        m.status = WelcomeStatus::TreeFull;
        out.verdict = RegistrationVerdict::TreeFull;
    } else {
        auto ephemeral = mike::X25519PrivateKey::generate();
        if (!ephemeral) return out;
        const auto key =
            seal_key(ephemeral.value(), reg->ephemeral, reg->nonce, group_id_, reg->receiver);
        if (!key) {
            out.verdict = RegistrationVerdict::Malformed;  // a low-order ephemeral key
            return out;
        }
        WipedBuffer plain(kKekBytes + 1 + registration->tek.size() +
                          registration->path_seeds.size());
        auto p = plain.writable();
        std::ranges::copy(registration->individual_key.view(), p.begin());
        p[kKekBytes] = static_cast<std::uint8_t>(registration->tek.size());
        std::ranges::copy(registration->tek.view(), p.begin() + kKekBytes + 1);
        std::ranges::copy(
            registration->path_seeds.view(),
            p.begin() + static_cast<std::ptrdiff_t>(kKekBytes + 1 + registration->tek.size()));
        auto sealed = wrap_key_padded(key->view(), plain.view());
        if (!sealed) return out;
        const TreeShape& shape = distribution_->shape();
        m.degree = static_cast<std::uint8_t>(shape.degree());
        m.height = static_cast<std::uint8_t>(shape.height());
        m.leaf = registration->leaf;
        m.root_version = registration->root_version;
        m.last_message_id = registration->last_message_id;
        m.tree_id = registration->tree_id;
        m.tek_epoch = registration->tek_epoch;
        m.tek_spi = registration->tek_spi;
        m.ephemeral = ephemeral.value().public_key();
        m.sealed = std::move(*sealed);
        out.verdict = RegistrationVerdict::Accepted;
    }
    out.reply = encode_welcome(m, *self_);
    last_[reg->receiver] = LastAnswer{reg->nonce, out.reply};
    return out;
}

}  // namespace mcsec::control::lkh
