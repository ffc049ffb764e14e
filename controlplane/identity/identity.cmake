# The identity module: X.509 and PSK message authenticators and TLS 1.3 contexts
# (docs/protocol/identity.md). Included from controlplane/CMakeLists.txt.
add_library(mcsec_control_identity STATIC
    ${CMAKE_CURRENT_LIST_DIR}/src/certificate_attributes.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/certificate_checks.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/credential_file.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/failed_verification_cache.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/failure_caching_authenticator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/load_authenticator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/message_signature.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/openssl_errors.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/psk_authenticator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/psk_file.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/tls_context.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/verified_certificate_cache.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/x509_authenticator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/x509_credentials.cpp)
# Boost.Asio's ssl::context appears in the public tls_context.hpp.
find_package(Threads REQUIRED)
target_include_directories(mcsec_control_identity PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(mcsec_control_identity PUBLIC mcsec_control_common mcsec_config OpenSSL::SSL
                                             OpenSSL::Crypto Boost::headers Threads::Threads
                                             PRIVATE mcsec_warnings)
