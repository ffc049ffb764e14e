#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from its seed corpus in
# tests/fuzz/corpus/<target-name-without-fuzz_> (or without its last _word). New inputs go to a scratch copy, never into
# the repository. Fails on the first crash, leak or sanitizer report.
#   tools/fuzz.sh BUILD_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tools/fuzz.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
found=0
for target in "$build"/tests/fuzz_*; do
    [ -x "$target" ] || continue
    found=1
    name=$(basename "$target")
    seeds=tests/fuzz/corpus/${name#fuzz_}
    [ -d "$seeds" ] || seeds=${seeds%_*}  # fuzz_config_loader -> corpus/config
    mkdir -p "$work/$name"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work/$name/"
    echo "fuzz: $name for ${seconds}s (seeds: $(ls "$work/$name" | wc -l))"
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
    "$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" \
        "${dict[@]}" "$work/$name" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ *DONE|==[0-9]+==ERROR|SUMMARY)" || true
    if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
        echo "fuzz: $name found a problem:" >&2
        ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >&2 2>/dev/null
        mkdir -p fuzz-findings && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* fuzz-findings/ 2>/dev/null || true
        exit 1
    fi
done
[ "$found" = 1 ] || { echo "fuzz: no fuzz targets in $build/tests" >&2; exit 1; }
