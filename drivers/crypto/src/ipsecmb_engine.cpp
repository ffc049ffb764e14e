// AEAD backend on Intel IPsec-MB's burst job API (IMB_GET_NEXT_BURST / IMB_SUBMIT_BURST_NOCHECK /
// IMB_FLUSH_BURST): one call hands up to IMB_MAX_BURST_SIZE packets to the library.
#include <intel-ipsec-mb.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "mcsec/crypto/aead.hpp"

namespace mcsec::crypto {
namespace {

class IpsecMbKey final : public AeadKey {
  public:
    IpsecMbKey(AeadAlgorithm algorithm, IMB_MGR* mgr, std::span<const uint8_t> key)
        : AeadKey(algorithm) {
        if (algorithm == AeadAlgorithm::AesGcm128) {
            IMB_AES128_GCM_PRE(mgr, key.data(), &schedule_);
        } else {
            IMB_AES256_GCM_PRE(mgr, key.data(), &schedule_);
        }
    }
    ~IpsecMbKey() override { secure_zero(&schedule_, sizeof(schedule_)); }
    IpsecMbKey(const IpsecMbKey&) = delete;
    IpsecMbKey& operator=(const IpsecMbKey&) = delete;

    const gcm_key_data* schedule() const { return &schedule_; }

    // gcm_key_data must be 16-byte aligned; plain operator new only promises that for
    // over-aligned types, which this class is (alignas below), so new/delete are fine.
  private:
    alignas(64) gcm_key_data schedule_;
};

class IpsecMbEngine final : public AeadEngine {
  public:
    IpsecMbEngine() {
        mgr_ = alloc_mb_mgr(0);
        if (mgr_ == nullptr) throw std::bad_alloc();
        // init_mb_mgr_auto picks the best code path the CPU has (AVX2 on the reference VM);
        // calling the AVX-512 init directly crashes on CPUs without it.
        IMB_ARCH arch{};
        init_mb_mgr_auto(mgr_, &arch);
        if (imb_get_errno(mgr_) != 0) {
            free_mb_mgr(mgr_);
            throw std::runtime_error("IPsec-MB: init_mb_mgr_auto failed");
        }
    }
    ~IpsecMbEngine() override { free_mb_mgr(mgr_); }

    std::string_view name() const override { return "ipsec-mb"; }

    std::unique_ptr<AeadKey> make_key(AeadAlgorithm algorithm,
                                      std::span<const uint8_t> key) override {
        if (key.size() != key_length(algorithm)) return nullptr;
        return std::make_unique<IpsecMbKey>(algorithm, mgr_, key);
    }

    void seal(std::span<AeadOp> ops) override { run(ops, IMB_DIR_ENCRYPT); }
    void open(std::span<AeadOp> ops) override { run(ops, IMB_DIR_DECRYPT); }

  private:
    void run(std::span<AeadOp> ops, IMB_CIPHER_DIRECTION direction) {
        while (!ops.empty()) {
            const size_t n = std::min<size_t>(ops.size(), IMB_MAX_BURST_SIZE);
            submit(ops.first(n), direction);
            ops = ops.subspan(n);
        }
    }

    void submit(std::span<AeadOp> ops, IMB_CIPHER_DIRECTION direction) {
        const uint32_t want = static_cast<uint32_t>(ops.size());
        // Every call drains the queue before returning, so a whole burst always fits.
        if (IMB_GET_NEXT_BURST(mgr_, want, jobs_.data()) != want) std::abort();
        for (uint32_t i = 0; i < want; ++i) {
            prepare(jobs_[i], ops[i], i, direction);
        }
        uint32_t done = IMB_SUBMIT_BURST_NOCHECK(mgr_, want, jobs_.data());
        complete(done, direction);
        while (done < want) {
            const uint32_t flushed = IMB_FLUSH_BURST(mgr_, want - done, jobs_.data());
            if (flushed == 0) std::abort();
            complete(flushed, direction);
            done += flushed;
        }
    }

    void prepare(IMB_JOB* job, AeadOp& op, uint32_t index, IMB_CIPHER_DIRECTION direction) {
        const auto* key = static_cast<const IpsecMbKey*>(op.key);
        job->cipher_mode = IMB_CIPHER_GCM;
        job->hash_alg = IMB_AUTH_AES_GMAC;
        job->cipher_direction = direction;
        job->chain_order =
            direction == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
        job->key_len_in_bytes = key_length(key->algorithm());
        job->enc_keys = key->schedule();
        job->dec_keys = key->schedule();
        job->src = op.data;
        job->dst = op.data;
        job->cipher_start_src_offset_in_bytes = 0;
        job->msg_len_to_cipher_in_bytes = op.len;
        job->hash_start_src_offset_in_bytes = 0;
        job->msg_len_to_hash_in_bytes = op.len;
        job->iv = op.nonce;
        job->iv_len_in_bytes = kGcmNonceLen;
        job->u.GCM.aad = op.aad;
        job->u.GCM.aad_len_in_bytes = op.aad_len;
        // On decrypt the library writes the tag it computed; we compare it with the received
        // one ourselves, in constant time.
        job->auth_tag_output = direction == IMB_DIR_ENCRYPT ? op.tag : computed_tags_[index].data();
        job->auth_tag_output_len_in_bytes = kGcmTagLen;
        job->user_data = &op;
        job->user_data2 = computed_tags_[index].data();
    }

    // Completed jobs come back in jobs_[0..count); user_data leads back to the op.
    void complete(uint32_t count, IMB_CIPHER_DIRECTION direction) {
        for (uint32_t i = 0; i < count; ++i) {
            IMB_JOB* job = jobs_[i];
            auto* op = static_cast<AeadOp*>(job->user_data);
            const bool completed = job->status == IMB_STATUS_COMPLETED;
            if (direction == IMB_DIR_ENCRYPT) {
                op->ok = completed;
            } else {
                op->ok =
                    completed && tags_equal(static_cast<const uint8_t*>(job->user_data2), op->tag);
            }
        }
    }

    IMB_MGR* mgr_ = nullptr;
    std::array<IMB_JOB*, IMB_MAX_BURST_SIZE> jobs_{};
    std::array<std::array<uint8_t, kGcmTagLen>, IMB_MAX_BURST_SIZE> computed_tags_{};
};

}  // namespace

std::unique_ptr<AeadEngine> make_ipsecmb_engine() {
    return std::make_unique<IpsecMbEngine>();
}

}  // namespace mcsec::crypto
