#!/usr/bin/env bash
# Installs exactly the Debian 12 packages mcsec needs to build, test and run the lab.
# Idempotent: packages already present are skipped, so a second run does nothing.
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build pkg-config
    clang libclang-rt-14-dev clang-format
    # fixed core dependencies
    dpdk dpdk-dev libdpdk-dev libipsec-mb-dev libssl-dev libboost-dev libtomlplusplus-dev
    libgtest-dev libgmock-dev libpcap-dev nlohmann-json3-dev
    # benchmarks
    libbenchmark-dev
    # independent ESP implementations used as test oracles
    python3 python3-scapy tshark
    # test-only X.509 edge cases mcsec-pki does not make (an expired certificate)
    python3-cryptography
    # lab
    iproute2 ethtool iputils-ping nftables
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
