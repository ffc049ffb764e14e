// The reference AEAD backend: OpenSSL EVP, one packet at a time. Slower per packet (~600 extra
// cycles on the reference VM) but an independent implementation to cross-check IPsec-MB against.
#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "mcsec/crypto/aead.hpp"

namespace mcsec::crypto {
namespace {

class OpenSslKey final : public AeadKey {
  public:
    OpenSslKey(AeadAlgorithm algorithm, std::span<const uint8_t> key) : AeadKey(algorithm) {
        std::copy(key.begin(), key.end(), key_.begin());
    }
    ~OpenSslKey() override { secure_zero(key_.data(), key_.size()); }
    OpenSslKey(const OpenSslKey&) = delete;
    OpenSslKey& operator=(const OpenSslKey&) = delete;
    const uint8_t* bytes() const { return key_.data(); }

  private:
    std::array<uint8_t, 32> key_{};
};

const EVP_CIPHER* cipher_for(AeadAlgorithm algorithm) {
    return algorithm == AeadAlgorithm::AesGcm128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

class OpenSslEngine final : public AeadEngine {
  public:
    OpenSslEngine() : ctx_(EVP_CIPHER_CTX_new()) {
        if (ctx_ == nullptr) throw std::runtime_error("OpenSSL: EVP_CIPHER_CTX_new failed");
    }
    ~OpenSslEngine() override { EVP_CIPHER_CTX_free(ctx_); }

    std::string_view name() const override { return "openssl"; }

    std::unique_ptr<AeadKey> make_key(AeadAlgorithm algorithm,
                                      std::span<const uint8_t> key) override {
        if (key.size() != key_length(algorithm)) return nullptr;
        return std::make_unique<OpenSslKey>(algorithm, key);
    }

    void seal(std::span<AeadOp> ops) override {
        for (AeadOp& op : ops) op.ok = seal_one(op);
    }
    void open(std::span<AeadOp> ops) override {
        for (AeadOp& op : ops) op.ok = open_one(op);
    }

  private:
    bool seal_one(AeadOp& op) {
        const auto* key = static_cast<const OpenSslKey*>(op.key);
        int out_len = 0;
        // The default GCM IV length in EVP is 12 bytes, which is what RFC 4106 uses.
        return EVP_EncryptInit_ex(ctx_, cipher_for(key->algorithm()), nullptr, key->bytes(),
                                  op.nonce) == 1 &&
               EVP_EncryptUpdate(ctx_, nullptr, &out_len, op.aad, static_cast<int>(op.aad_len)) ==
                   1 &&
               EVP_EncryptUpdate(ctx_, op.data, &out_len, op.data, static_cast<int>(op.len)) == 1 &&
               EVP_EncryptFinal_ex(ctx_, op.data + out_len, &out_len) == 1 &&
               EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, kGcmTagLen, op.tag) == 1;
    }

    bool open_one(AeadOp& op) {
        const auto* key = static_cast<const OpenSslKey*>(op.key);
        int out_len = 0;
        return EVP_DecryptInit_ex(ctx_, cipher_for(key->algorithm()), nullptr, key->bytes(),
                                  op.nonce) == 1 &&
               EVP_DecryptUpdate(ctx_, nullptr, &out_len, op.aad, static_cast<int>(op.aad_len)) ==
                   1 &&
               EVP_DecryptUpdate(ctx_, op.data, &out_len, op.data, static_cast<int>(op.len)) == 1 &&
               EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, kGcmTagLen, op.tag) == 1 &&
               // Final does the constant-time tag check.
               EVP_DecryptFinal_ex(ctx_, op.data + out_len, &out_len) == 1;
    }

    EVP_CIPHER_CTX* ctx_;
};

}  // namespace

std::unique_ptr<AeadEngine> make_openssl_engine() {
    return std::make_unique<OpenSslEngine>();
}

}  // namespace mcsec::crypto
