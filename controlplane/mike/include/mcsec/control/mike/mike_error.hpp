// Errors of the MIKE key-tree library and the Result type its fallible operations return.
// Exceptions are reserved for programming errors (Result::value() on an error); every failure an
// attacker or the network can cause comes back as a MikeError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <variant>

namespace mcsec::control::mike {

enum class [[nodiscard]] MikeError : std::uint8_t{
    Ok,
    CryptoFailure,       // an OpenSSL call failed (allocation, missing provider)
    LowOrderPoint,       // X25519 gave the all-zero secret: a blinded key is a low-order point
    InvalidMemberId,     // not 1..32 characters of [A-Za-z0-9_-]
    DuplicateMember,     // the member is already in the tree
    UnknownMember,       // the member is not in the tree
    TooManyMembers,      // the tree already holds KeyTree::kMaxMembers
    EpochExhausted,      // the epoch counter would wrap
    EmptyTree,           // no members, hence no group key
    MissingBlindedKey,   // a blinded key is not published yet (the sponsor has not finished)
    BlindedKeyMismatch,  // a published key on this member's path is not what it computes
    StaleUpdate,         // a path update for another epoch than the tree's
    BadPathUpdate,       // a path update from a non-member or with the wrong number of keys
    BadGroupId,          // a group id longer than 65535 bytes
};

std::string_view to_string(MikeError error) noexcept;

template <typename T>
class Result {
  public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Result(MikeError error) : state_(std::in_place_index<1>, error) {
        if (error == MikeError::Ok) throw std::logic_error("mike::Result: Ok without a value");
    }

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    MikeError error() const noexcept { return ok() ? MikeError::Ok : std::get<1>(state_); }

    // Throws std::bad_variant_access on an error: callers check ok() first.
    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }

  private:
    std::variant<T, MikeError> state_;
};

}  // namespace mcsec::control::mike
