// The AEAD interface the ESP core encrypts and decrypts through.
//
// Two backends implement it: Intel IPsec-MB (the fast one, burst job API) and OpenSSL EVP (the
// reference). Both take a burst of operations per call so that a backend can pipeline many
// packets; callers never see backend types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace mcsec::crypto {

enum class AeadAlgorithm : uint8_t { AesGcm128, AesGcm256 };

inline constexpr size_t kGcmNonceLen = 12;  // RFC 4106: 4-byte salt || 8-byte IV
inline constexpr size_t kGcmTagLen = 16;    // RFC 4106: the 16-byte ICV is the only one we offer

constexpr size_t key_length(AeadAlgorithm algorithm) {
    return algorithm == AeadAlgorithm::AesGcm128 ? 16 : 32;
}
std::string_view to_string(AeadAlgorithm algorithm);

// A key schedule prepared by one engine for its own use. Key material is zeroed when it is
// destroyed. Opaque: only the engine that made it may use it.
class AeadKey {
  public:
    virtual ~AeadKey() = default;
    AeadAlgorithm algorithm() const { return algorithm_; }

  protected:
    explicit AeadKey(AeadAlgorithm algorithm) : algorithm_(algorithm) {}

  private:
    AeadAlgorithm algorithm_;
};

// One packet's worth of AEAD work, done in place on `data`.
struct AeadOp {
    const AeadKey* key = nullptr;
    const uint8_t* nonce = nullptr;  // kGcmNonceLen bytes
    const uint8_t* aad = nullptr;
    uint32_t aad_len = 0;
    uint8_t* data = nullptr;  // plaintext in / ciphertext out (seal), or the reverse (open)
    uint32_t len = 0;
    uint8_t* tag = nullptr;   // seal: written (kGcmTagLen); open: the received tag to verify
    bool ok = false;          // set by the engine: seal succeeded / open verified the tag
    uint32_t user_index = 0;  // free for the caller: which packet of its burst this op belongs to
};

class AeadEngine {
  public:
    virtual ~AeadEngine() = default;
    virtual std::string_view name() const = 0;

    // Prepares a key schedule. `key` must be key_length(algorithm) bytes.
    virtual std::unique_ptr<AeadKey> make_key(AeadAlgorithm algorithm,
                                              std::span<const uint8_t> key) = 0;

    // Encrypts and tags every op in place. Sets op.ok.
    virtual void seal(std::span<AeadOp> ops) = 0;

    // Verifies and decrypts every op in place. op.ok is false if the tag did not verify; the
    // data of such an op is garbage and must be dropped.
    virtual void open(std::span<AeadOp> ops) = 0;
};

enum class Backend : uint8_t { IpsecMb, OpenSsl };
std::string_view to_string(Backend backend);

// One engine per thread: engines keep per-thread scratch state and are not thread-safe.
std::unique_ptr<AeadEngine> make_engine(Backend backend);
std::unique_ptr<AeadEngine> make_ipsecmb_engine();
std::unique_ptr<AeadEngine> make_openssl_engine();

// Constant-time comparison for tags: the time taken must not depend on where bytes differ.
bool constant_time_equal(const uint8_t* a, const uint8_t* b, size_t len);

// The same for exactly one GCM tag, inline for the fast path: no data-dependent branch, the
// result depends only on the OR of all differences.
inline bool tags_equal(const uint8_t* a, const uint8_t* b) {
    uint64_t a0, a1, b0, b1;
    __builtin_memcpy(&a0, a, 8);
    __builtin_memcpy(&a1, a + 8, 8);
    __builtin_memcpy(&b0, b, 8);
    __builtin_memcpy(&b1, b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

// Zeroes memory in a way the compiler cannot elide (for key material).
void secure_zero(void* p, size_t len);

}  // namespace mcsec::crypto
