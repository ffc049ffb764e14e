#!/usr/bin/env bash
# Sets up everything mcsec needs and runs every test: the README's test command.
#
#   1. installs missing Debian packages (tools/install-deps.sh; needs root the first time)
#   2. Release build + ctest: unit tests, RFC/GCM vectors, scapy and tshark interop
#   3. ASan+UBSan build + ctest of the same tests
#   4. ThreadSanitizer build of the concurrency tests (several lcores on one SA)
#   5. libFuzzer smoke run: each fuzz target over its seed corpus plus MCSEC_FUZZ_SECONDS
#      (default 5) of fresh inputs; tools/fuzz.sh BUILD SECONDS runs longer campaigns
# Tests labelled `integration` (root, namespaces, hugepages) run when they exist and root is
# available; set MCSEC_SKIP_SANITIZE=1 or MCSEC_SKIP_FUZZ=1 to shorten a local run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

if [ "$(id -u)" -eq 0 ]; then
    bash tools/install-deps.sh
else
    bash tools/install-deps.sh || { echo "test.sh: run once as root to install packages" >&2; exit 1; }
fi

step() { printf '\n==== %s ====\n' "$*"; }

step "Release build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j "$jobs"
step "Release tests"
ctest --test-dir build/release --output-on-failure -j "$jobs"

if [ "${MCSEC_SKIP_SANITIZE:-0}" != 1 ]; then
    step "ASan+UBSan build"
    cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMCSEC_SANITIZE=ON -DMCSEC_BENCH=OFF
    cmake --build build/asan -j "$jobs"
    step "ASan+UBSan tests"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build/asan --output-on-failure -j "$jobs" -LE "interop|integration"
fi

if [ "${MCSEC_SKIP_TSAN:-0}" != 1 ]; then
    step "ThreadSanitizer: lcores sharing an SA"
    cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCSEC_TSAN=ON \
        -DMCSEC_BENCH=OFF
    cmake --build build/tsan -j "$jobs" --target concurrency_test
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --test-dir build/tsan --output-on-failure -L concurrency
fi

if [ "${MCSEC_SKIP_FUZZ:-0}" != 1 ]; then
    step "libFuzzer smoke run"
    cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCSEC_FUZZ=ON \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
    cmake --build build/fuzz -j "$jobs" --target fuzz_targets
    bash tools/fuzz.sh build/fuzz "${MCSEC_FUZZ_SECONDS:-5}"
fi
step "all tests passed"
