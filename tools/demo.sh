#!/usr/bin/env bash
# The mcsec lab demo: three sites on this machine, each a red host and an appliance
# (mcsec-dataplane on af_packet/veth) joined by a black switch, all in network namespaces.
# Multicast sent at site 1's red host arrives at sites 2 and 3; the black capture holds only
# ESP, which tshark decrypts with the lab keys; keys roll over while traffic flows. Then the same
# sites agree their keys themselves (mcsec-controld: IDP discovery + MIKE) and rekey on a leave,
# and a receive-only site gets its keys by LKH until the operator revokes it.
# Needs root (namespaces); installs packages and builds on first run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (packages, network namespaces): run it as root, e.g. sudo tools/demo.sh" >&2; exit 1; }
bash tools/install-deps.sh
echo "== building (Release)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target mcsec-dataplane mcsecctl mcsec-controld >/dev/null

dir=$(mktemp -d /tmp/mcsec-demo.XXXXXX)
lab() { MCSEC_BUILD=build/release tools/mcsec-lab "$@" --dir "$dir"; }
ctl() { build/release/tools/mcsecctl/mcsecctl "$@"; }
cleanup() { lab down >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
mcast() { ip netns exec "mcsec-red$1" /usr/bin/python3 tools/lab/mcast.py "${@:2}"; }

echo "== 1. three sites up"
lab up --sites 3

echo "== 2. site 2 and 3 red hosts join 239.1.1.1 and ff1e::1:1; site 1 sends 300 packets to each"
ip netns exec mcsec-black dumpcap -q -i br0 -w "$dir/black.pcap" >/dev/null 2>&1 &
cap=$!
sleep 1
for s in 2 3; do
    mcast $s recv --group 239.1.1.1 --ifname red$s --seconds 12 --expect 300 > "$dir/r$s-v4.json" &
    mcast $s recv --group ff1e::1:1 --ifname red$s --seconds 12 --expect 300 > "$dir/r$s-v6.json" &
done
sleep 1
mcast 1 send --group 239.1.1.1 --ifname red1 --count 300 --rate 300 --tag demo-v4 >/dev/null &
mcast 1 send --group ff1e::1:1 --ifname red1 --count 300 --rate 300 --tag demo-v6 >/dev/null &

echo "== 3. while it flows, the IPv4 group's key rolls over 5 times (make-before-break)"
old=0x1001
for k in 1 2 3 4 5; do
    sleep 0.15
    new=$((0x4000 + k)); key=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
    for s in 1 2 3; do ctl --config "$dir/site$s.toml" sa add --group 239.1.1.1 --spi $new --key "$key" >/dev/null; done
    for s in 1 2 3; do ctl --config "$dir/site$s.toml" sa switch --group 239.1.1.1 --spi $new >/dev/null; done
    sleep 0.02
    for s in 1 2 3; do ctl --config "$dir/site$s.toml" sa retire --group 239.1.1.1 --spi $old >/dev/null; done
    printf '   rollover %d: spi %#x -> %#x\n' $k $old $new; old=$new
done
wait $(jobs -p | grep -v "^$cap$") 2>/dev/null || true
sleep 1; kill $cap 2>/dev/null; wait $cap 2>/dev/null || true

echo "== 4. what the red hosts received"
for f in "$dir"/r*.json; do
    printf '   %s: %s packets\n' "$(basename "$f" .json)" "$(tail -1 "$f" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])')"
done

echo "== 5. the black switch carried (outer protocol: count):"
tshark -r "$dir/black.pcap" -o esp.enable_encryption_decode:FALSE -Y "ip or ipv6" -T fields -e ip.proto -e ipv6.nxt 2>/dev/null |
    awk '{ if ($1 ~ /50/ || $2 ~ /50/) print "ESP";
           else if ($0 ~ /^(2|58|0)/ || $0 ~ /(^|[ \t,])(58|0)$/) print "appliance control (IGMP/MLD/ND from the exception TAPs)";
           else print "NOT-ESP(" $0 ")" }' | sort | uniq -c | sed 's/^/   /'
echo "   tshark with the lab keys for the IPv6 group (spi, seq, ICV good, first payload bytes):"
tshark -r "$dir/black.pcap" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
    -o 'uat:esp_sa:"IPv6","*","*","0x00001002","AES-GCM with 16 octet ICV [RFC4106]","0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2fdeadbeef","NULL",""' \
    -Y "esp.spi == 0x1002" -T fields -e esp.spi -e esp.sequence -e esp.icv_good -e data.data 2>/dev/null | head -3 | cut -c1-60 | sed 's/^/   /'  || true

echo "== 6. site 2 counters (mcsecctl show counters) and SAs (mcsecctl show sa)"
ctl --instance lab2 show counters | sed 's/^/   /'
ctl --instance lab2 show sa | sed 's/^/   /'
echo "== 7. the same three sites with automatic keying: mcsec-controld on each, no key in any file"
lab down >/dev/null
lab up --sites 3 --keying mike
sleep 2
grep -h "epoch .* key kcv" "$dir"/controld*.log | grep 239.1.1.1 | tail -3 | sed 's/^mcsec-controld: /   /'
sleep 1
mcast 2 recv --group 239.1.1.1 --ifname red2 --seconds 6 --expect 200 > "$dir/m2.json" &
mcast 3 recv --group 239.1.1.1 --ifname red3 --seconds 6 --expect 200 > "$dir/m3.json" &
sleep 1
mcast 1 send --group 239.1.1.1 --ifname red1 --count 200 --rate 400 --tag demo-mike >/dev/null
wait
for s in 2 3; do
    printf '   site %s received %s packets under the agreed key\n' $s "$(tail -1 "$dir/m$s.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])')"
done
echo "   site 3's controld stops: sites 1 and 2 rekey without it"
lab stop --site 3 --controld >/dev/null
sleep 2
grep -h "epoch .* key kcv" "$dir"/controld1.log "$dir"/controld2.log | grep 239.1.1.1 | tail -2 | sed 's/^mcsec-controld: /   /'
echo "   what the operator sees on site 1 (mcsecctl show peers / groups / sas, from controld's API):"
echo "   (239.1.1.2 has an access list that admits sites 1 and 2 only: site 3 never held its key)"
ctl --instance lab1 show peers | sed 's/^/   /'
ctl --instance lab1 show groups | sed 's/^/   /'
ctl --instance lab1 show sas | sed 's/^/   /'
echo "== 8. a receive-only box keyed by LKH: sites 1 and 2 send, site 3 only receives (keying.mode lkh)"
lab down >/dev/null
lab up --sites 3 --keying mike --identity x509 --lkh-receivers 1
sleep 3
grep -h "via lkh" "$dir"/controld3.log | grep 239.1.1.1 | tail -1 | sed 's/^mcsec-controld: /   site 3: /'
mcast 3 recv --group 239.1.1.1 --ifname red3 --seconds 5 --expect 200 > "$dir/l3.json" &
sleep 1
mcast 1 send --group 239.1.1.1 --ifname red1 --count 200 --rate 400 --tag demo-lkh >/dev/null
wait
printf '   site 3 received %s packets under the key pushed to it\n' "$(tail -1 "$dir/l3.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])')"
echo "   the key server (site 1, the TM): mcsecctl show receivers 239.1.1.1"
ctl --instance lab1 show receivers 239.1.1.1 | sed 's/^/   /'
echo "   mcsecctl revoke 239.1.1.1 lab3: the senders rekey, the new key does not reach site 3"
ctl --instance lab1 revoke 239.1.1.1 lab3 | sed 's/^/   /'
sleep 2
mcast 3 recv --group 239.1.1.1 --ifname red3 --seconds 4 > "$dir/l3b.json" &
sleep 1
mcast 1 send --group 239.1.1.1 --ifname red1 --count 200 --rate 400 --tag demo-lkh-revoked >/dev/null
wait
printf '   site 3 received %s packets after its revocation\n' "$(tail -1 "$dir/l3b.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])')"
echo "== done; tearing the lab down"
