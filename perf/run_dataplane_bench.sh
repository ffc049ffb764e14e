#!/usr/bin/env bash
# Fast-path throughput of mcsec-dataplane on one lcore, the way facts.md measured DPDK's
# ipsec-secgw: red port net_pcap (rx_pcap=FILE,infinite_rx=1, 256 packets), black port net_null
# (no-rx=1), one lcore polling both, --in-memory on 2 MB hugepages; rate = port counters
# (mcsecctl show counters) over a measurement window, best of N runs.
#   encap:   red pcap of UDP multicast -> ESP -> black null          (AES-GCM-128)
#   io:      the same with a BYPASS policy (no crypto): the I/O floor of this harness
#   decap:   black pcap of ESP -> decap -> red null (replay check off: the capture repeats)
# Usage: sudo perf/run_dataplane_bench.sh [BUILD_DIR] [SECONDS] [RUNS]; needs root (hugepages).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build/release}")
seconds=${2:-5}
runs=${3:-3}
dp=$build/dataplane/dpdk/mcsec-dataplane
ctl=$build/tools/mcsecctl/mcsecctl
esptool=$build/tests/mcsec-esp-tool
for b in "$dp" "$ctl" "$esptool"; do [ -x "$b" ] || { echo "build first: $b missing" >&2; exit 1; }; done
echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
work=$(mktemp -d)
umask 077  # bench.toml holds a (public test) key: owner-only, like every key file
trap 'rm -rf "$work"; rm -f /dev/shm/mcsec.bench' EXIT
key=feffe9928665731c6d6a8f9467308308cafebabe

config() {  # mode red_device black_device
    # io mode: 239.1.1.1 is BYPASS (no crypto); a second, idle group keeps the manual SA.
    local action=protect sa_group=239.1.1.1 idle_group='action = "discard"'
    [ "$1" = io ] && { action=bypass; sa_group=239.2.2.2; idle_group='policy = "bench"'; }
    cat <<EOT
schema_version = 1
[instance]
name = "bench"
sender_id = 1
state_dir = "$work/state"
[[ports]]
name = "red0"
role = "red"
device = "$2"
[[ports]]
name = "black0"
role = "black"
device = "$3"
addresses = ["192.0.2.1/24"]
mtu = 9000
[dataplane]
lcores = [1]
hugepages = true
memory_mb = 512
exception_path = "none"
[[policies]]
name = "bench"
transform = "aes-gcm-128"
esn = false
replay_check = false
[[groups]]
address = "239.1.1.1"
black_group = "239.255.1.1"
action = "$action"
$( [ "$action" = protect ] && echo 'policy = "bench"' )
[[groups]]
address = "239.2.2.2"
black_group = "239.255.2.2"
$idle_group
[identity]
psk_file = "psk.key"
[keying]
mode = "manual"
[[manual_sas]]
group = "$sa_group"
spi = 0x1000
key_hex = "$key"
EOT
}

rate() {  # counter: print Mpps over the window, best of $runs
    local counter=$1 best=0
    for r in $(seq "$runs"); do
        rm -f /dev/shm/mcsec.bench
        (cd "$work" && exec "$dp" --config bench.toml >"$work/dp.log" 2>&1) &
        local pid=$!
        sleep 2
        local a b
        a=$("$ctl" --instance bench show counters --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$counter'])")
        sleep "$seconds"
        b=$("$ctl" --instance bench show counters --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$counter'])")
        kill -TERM $pid 2>/dev/null || { echo "dataplane did not run:" >&2; cat "$work/dp.log" >&2; }
        wait $pid || true
        best=$(/usr/bin/python3 -c "print(max($best, ($b - $a) / $seconds / 1e6))")
    done
    echo "$best"
}

echo "psk" > "$work/psk.key"
printf '| inner size | encap Mpps | Gbit/s | I/O floor Mpps | decap Mpps | Gbit/s |\n|---|---|---|---|---|---|\n'
for size in 64 512 1420; do
    /usr/bin/python3 - "$work" "$size" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
work, size = sys.argv[1], int(sys.argv[2])
pk = [Ether(dst="01:00:5e:01:01:01") / IP(src="10.1.0.10", dst="239.1.1.1") / UDP(sport=40000, dport=40001)
      / Raw(bytes([i % 256]) * (size - 28)) for i in range(256)]
wrpcap(f"{work}/red.pcap", pk)
with open(f"{work}/red.hex", "w") as f:
    for p in pk:
        f.write(bytes(p[IP]).hex() + "\n")
PY
    "$esptool" encap --key $key --spi 0x1000 --tunnel-src 192.0.2.1 --tunnel-dst 239.255.1.1 \
        --red-group 239.1.1.1 --no-esn < "$work/red.hex" > "$work/esp.hex"
    /usr/bin/python3 - "$work" <<'PY'
import sys
from scapy.all import Ether, IP, wrpcap
work = sys.argv[1]
wrpcap(f"{work}/esp.pcap", [Ether(dst="01:00:5e:7f:01:01") / IP(bytes.fromhex(l)) for l in open(f"{work}/esp.hex") if l.strip()])
PY
    config encap "net_pcap0,rx_pcap=$work/red.pcap,infinite_rx=1" "net_null0,no-rx=1" > "$work/bench.toml"
    enc=$(rate black_tx)
    config io "net_pcap0,rx_pcap=$work/red.pcap,infinite_rx=1" "net_null0,no-rx=1" > "$work/bench.toml"
    io=$(rate black_tx)
    config decap "net_null0,no-rx=1" "net_pcap0,rx_pcap=$work/esp.pcap,infinite_rx=1" > "$work/bench.toml"
    dec=$(rate red_tx)
    /usr/bin/python3 -c "s=$size; e=$enc; i=$io; d=$dec; print(f'| {s} B | {e:.2f} | {e*s*8/1e3:.1f} | {i:.2f} | {d:.2f} | {d*s*8/1e3:.1f} |')"
done
