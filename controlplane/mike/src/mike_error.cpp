#include "mcsec/control/mike/mike_error.hpp"

namespace mcsec::control::mike {

std::string_view to_string(MikeError error) noexcept {
    switch (error) {
        case MikeError::Ok:
            return "ok";
        case MikeError::CryptoFailure:
            return "crypto failure";
        case MikeError::LowOrderPoint:
            return "low-order X25519 point";
        case MikeError::InvalidMemberId:
            return "invalid member id";
        case MikeError::DuplicateMember:
            return "duplicate member";
        case MikeError::UnknownMember:
            return "unknown member";
        case MikeError::TooManyMembers:
            return "too many members";
        case MikeError::EpochExhausted:
            return "epoch exhausted";
        case MikeError::EmptyTree:
            return "empty tree";
        case MikeError::MissingBlindedKey:
            return "missing blinded key";
        case MikeError::BlindedKeyMismatch:
            return "blinded key mismatch";
        case MikeError::StaleUpdate:
            return "stale path update";
        case MikeError::BadPathUpdate:
            return "bad path update";
        case MikeError::BadGroupId:
            return "bad group id";
    }
    return "unknown";
}

}  // namespace mcsec::control::mike
