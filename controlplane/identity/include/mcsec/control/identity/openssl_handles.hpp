// Owning handles for the OpenSSL objects the identity module keeps, so every exit path frees
// them, plus the one place that turns OpenSSL's error queue into text for error messages.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace mcsec::control::identity {

template <auto FreeFunction>
struct OpenSslDeleter {
    template <typename Handle>
    void operator()(Handle* handle) const noexcept {
        FreeFunction(handle);
    }
};

using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<&X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<&EVP_PKEY_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<&X509_STORE_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<&EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<&BIO_free_all>>;

// Empties the calling thread's OpenSSL error queue and returns its entries joined by "; "
// ("" when empty). Called after every failed OpenSSL call so a stale entry never shows up in a
// later, unrelated message.
std::string take_openssl_errors();

}  // namespace mcsec::control::identity
