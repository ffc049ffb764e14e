#!/usr/bin/env bash
# Runs bench_esp with repetitions and prints the docs/PERFORMANCE.md table: median Mpps and
# Gbit/s per size, and ESP as a share of the raw AES-GCM rate measured in the same run.
#   perf/run_esp_bench.sh [BUILD_DIR] [REPETITIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
reps=${2:-5}
[ -x "$build/perf/bench_esp" ] || { cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" --target bench_esp; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$build/perf/bench_esp" --benchmark_repetitions="$reps" --benchmark_min_time=0.5 \
    --benchmark_report_aggregates_only=true --benchmark_format=json --benchmark_out="$json" \
    --benchmark_out_format=json >/dev/null
/usr/bin/python3 - "$json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
med = {}
for b in data["benchmarks"]:
    if b.get("aggregate_name") == "median":
        name, size = b["run_name"].split("/")
        med[(name, int(size))] = b["items_per_second"] / 1e6  # Mpps
ctx = data["context"]
print(f"host: {ctx.get('host_name')}, {ctx.get('num_cpus')} CPUs @ {ctx.get('mhz_per_cpu')} MHz, "
      f"{ctx.get('date')}, median of {sys.argv[1] and 'repetitions'}")
print()
print("| inner size | raw GCM enc Mpps | ESP encap Mpps | Gbit/s | encap / raw | raw GCM dec Mpps (net) | ESP decap Mpps (net) | Gbit/s | decap / raw |")
print("|---|---|---|---|---|---|---|---|---|")
for size in sorted({s for (_, s) in med}):
    raw = med.get(("RawGcm", size)); enc = med.get(("EspEncap", size))
    rawd = med.get(("RawGcmDecrypt", size)); dec = med.get(("EspDecap", size)); rest = med.get(("Restore", size))
    if None in (raw, enc, rawd, dec, rest):
        continue
    # EspDecap and RawGcmDecrypt both restore their input before each burst; subtract that.
    dec_net = 1.0 / (1.0 / dec - 1.0 / rest)
    rawd = 1.0 / (1.0 / rawd - 1.0 / rest)
    gb = lambda mpps: mpps * 1e6 * size * 8 / 1e9
    print(f"| {size} B | {raw:.2f} | {enc:.2f} | {gb(enc):.1f} | {enc/raw:.0%} | {rawd:.2f} | {dec_net:.2f} | {gb(dec_net):.1f} | {dec_net/rawd:.0%} |")
replay = {s: v for (n, s), v in med.items() if n == "ReplayWindow"}
if replay:
    print("\nreplay window check+update, ns per packet: " + ", ".join(f"{s} bits {1e3 / v:.1f}" for s, v in sorted(replay.items())), end="")
burst = {s: v for (n, s), v in med.items() if n == "RawGcmBurst"}
if burst:
    print("\n\nraw GCM through the burst job API (32/call), Mpps: " + ", ".join(f"{s} B {v:.2f}" for s, v in sorted(burst.items())))
PY
