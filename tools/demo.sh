#!/usr/bin/env bash
# The mcsec demo. The multi-site lab (red hosts, appliances and a black switch in network
# namespaces) arrives with the DPDK dataplane in issue 3; until then this demo shows what exists:
# the ESP core encrypting red multicast for a group SA, and two independent implementations
# (scapy and Wireshark's tshark) decrypting and verifying it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target mcsec-esp-tool >/dev/null

cat <<'MSG'
NOTE: the 3-site lab demo (mcsec-lab in network namespaces) is not built yet: it comes with the
DPDK dataplane (issue 3). This demo runs the ESP core on its own.

MSG
tool=build/release/tests/mcsec-esp-tool
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key=feffe9928665731c6d6a8f9467308308cafebabe   # AES-128 key || 4-byte salt (lab key, never in production)

echo "1. Three red multicast packets for group 239.1.1.1 (UDP port 40001):"
/usr/bin/python3 - "$work/red.hex" <<'PY'
import sys
from scapy.all import IP, UDP, Raw
with open(sys.argv[1], "w") as f:
    for i, text in enumerate([b"hello from site 1", b"sensor reading 42", b"end of demo"]):
        p = IP(src="10.1.0.10", dst="239.1.1.1", ttl=16) / UDP(sport=40000, dport=40001) / Raw(text)
        print("   ", p.summary(), text.decode())
        f.write(bytes(p).hex() + "\n")
PY

echo "2. mcsec encapsulates them (ESP tunnel, AES-GCM-128, SPI 0x1000, sender ID 1, black group 239.100.1.1):"
"$tool" encap --key $key --spi 0x1000 --tunnel-src 192.0.2.1 --tunnel-dst 239.100.1.1 \
    --red-group 239.1.1.1 --sender-id 1 --no-esn < "$work/red.hex" > "$work/black.hex"
/usr/bin/python3 - "$work/black.hex" "$work/black.pcap" <<'PY'
import sys
from scapy.all import IP, Ether, wrpcap
pkts = [IP(bytes.fromhex(l)) for l in open(sys.argv[1]) if l.strip()]
for p in pkts:
    print("   ", p.summary(), "| payload on the wire:", bytes(p)[36:52].hex(), "...")
wrpcap(sys.argv[2], [Ether() / p for p in pkts])
PY

echo "3. tshark (independent ESP implementation) verifies the ICVs and decrypts the black capture:"
tshark -r "$work/black.pcap" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
    -o "uat:esp_sa:\"IPv4\",\"*\",\"*\",\"0x00001000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$key\",\"NULL\",\"\"" \
    -T fields -e esp.spi -e esp.sequence -e esp.icv_good -e data.text -o data.show_as_text:TRUE 2>/dev/null |
    sed 's/^/    spi seq icv_good payload: /'

echo "4. mcsec decapsulates the black packets back to the red originals:"
"$tool" decap --key $key --spi 0x1000 --tunnel-src 192.0.2.1 --tunnel-dst 239.100.1.1 \
    --red-group 239.1.1.1 --no-esn < "$work/black.hex" > "$work/back.hex"
if cmp -s "$work/red.hex" "$work/back.hex"; then echo "    byte-identical to the red packets"; else echo "    MISMATCH"; exit 1; fi

echo "5. Packet 1 once, packet 1 replayed, packet 2 with its last ICV byte changed: accepted, then dropped with reasons:"
{ head -1 "$work/black.hex"; head -1 "$work/black.hex"; sed -n 2p "$work/black.hex" | sed 's/.$/x/; s/[0-9a-f]x$/00/'; } |
    "$tool" decap --key $key --spi 0x1000 --tunnel-src 192.0.2.1 --tunnel-dst 239.100.1.1 \
        --red-group 239.1.1.1 --no-esn | cut -c1-40 | sed 's/^/    /'
