# Every dependency is found the way its Debian 12 package supports; a missing one stops
# configuration with the Debian package that provides it (tools/install-deps.sh installs all).

function(mcsec_require found what package)
    if(NOT ${found})
        message(FATAL_ERROR "mcsec: ${what} not found. Install the Debian package '${package}' "
                            "(or run: sudo tools/install-deps.sh)")
    endif()
endfunction()

find_package(PkgConfig)
mcsec_require(PkgConfig_FOUND "pkg-config" "pkg-config")

# Intel IPsec-MB ships neither a CMake config nor a pkg-config file.
find_path(IPSECMB_INCLUDE_DIR intel-ipsec-mb.h)
find_library(IPSECMB_LIBRARY IPSec_MB)
if(IPSECMB_INCLUDE_DIR AND IPSECMB_LIBRARY)
    add_library(IPSecMB::IPSecMB UNKNOWN IMPORTED)
    set_target_properties(IPSecMB::IPSecMB PROPERTIES
        IMPORTED_LOCATION "${IPSECMB_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${IPSECMB_INCLUDE_DIR}")
    set(IPSECMB_FOUND TRUE)
endif()
mcsec_require(IPSECMB_FOUND "Intel IPsec-MB (intel-ipsec-mb.h, libIPSec_MB)" "libipsec-mb-dev")

find_package(OpenSSL 3.0 QUIET)
mcsec_require(OpenSSL_FOUND "OpenSSL >= 3.0" "libssl-dev")

find_package(tomlplusplus 3 QUIET)
mcsec_require(tomlplusplus_FOUND "toml++ 3" "libtomlplusplus-dev")

find_package(nlohmann_json 3 QUIET)
mcsec_require(nlohmann_json_FOUND "nlohmann-json 3 (operator API)" "nlohmann-json3-dev")

find_package(GTest QUIET)
mcsec_require(GTest_FOUND "GoogleTest" "libgtest-dev")

# Used by the dataplane and controld executables (later issues); checked now so a fresh
# machine learns about every missing package in one configure run.
find_package(Boost 1.74 QUIET)
mcsec_require(Boost_FOUND "Boost (Asio)" "libboost-dev")
pkg_check_modules(LIBDPDK QUIET IMPORTED_TARGET libdpdk)
mcsec_require(LIBDPDK_FOUND "DPDK (pkg-config libdpdk)" "libdpdk-dev")

if(MCSEC_BENCH AND NOT MCSEC_FUZZ)
    find_package(benchmark QUIET)
    mcsec_require(benchmark_FOUND "Google Benchmark" "libbenchmark-dev")
endif()
