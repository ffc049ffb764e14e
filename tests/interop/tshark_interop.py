#!/usr/bin/python3
"""Cross-check mcsec's ESP output with Wireshark's ESP dissector (tshark), a third independent
implementation: tshark must verify every ICV and decrypt to the original payloads.

Usage: tshark_interop.py PATH/TO/mcsec-esp-tool
"""
import os
import shutil
import subprocess
import sys
import tempfile

from scapy.all import IP, IPv6, UDP, Raw, Ether, wrpcap

TOOL = sys.argv[1]
if shutil.which("tshark") is None:
    print("tshark not installed (Debian package tshark): run tools/install-deps.sh")
    sys.exit(1)

failures = []


def case(v6, key_len):
    name = f"v{6 if v6 else 4} aes{key_len * 8}"
    key, salt = os.urandom(key_len), os.urandom(4)
    spi = 0x2000 + key_len
    group = "ff3e::77" if v6 else "239.7.7.7"
    src = "2001:db8:1::7" if v6 else "10.7.0.7"
    tun_src = "2001:db8:ff::7" if v6 else "192.0.2.7"
    payloads = [bytes([0x41 + i]) * (10 + 97 * i) for i in range(6)]
    l3 = (lambda: IPv6(src=src, dst=group)) if v6 else (lambda: IP(src=src, dst=group))
    # Port 40001 is not a well-known port, so no sub-dissector hides esp.icv_good.
    inners = [bytes(l3() / UDP(sport=40000, dport=40001) / Raw(p)) for p in payloads]
    # tshark's SA table takes 64-bit sequence numbers only with ESN; use plain 32-bit here.
    args = ["--key", (key + salt).hex(), "--spi", hex(spi), "--tunnel-src", tun_src,
            "--tunnel-dst", group, "--red-group", group, "--no-esn"]
    out = subprocess.run([TOOL, "encap"] + args,
                         input="".join(p.hex() + "\n" for p in inners),
                         capture_output=True, text=True, check=True).stdout.split()
    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, "esp.pcap")
        outer = IPv6 if v6 else IP
        wrpcap(pcap, [Ether() / outer(bytes.fromhex(h)) for h in out])
        family = "IPv6" if v6 else "IPv4"
        uat = (f'uat:esp_sa:"{family}","*","*","{spi:#010x}",'
               f'"AES-GCM with 16 octet ICV [RFC4106]","0x{(key + salt).hex()}","NULL",""')
        res = subprocess.run(
            ["tshark", "-r", pcap, "-o", "esp.enable_encryption_decode:TRUE",
             "-o", "esp.enable_authentication_check:TRUE", "-o", uat,
             "-T", "fields", "-e", "esp.sequence", "-e", "esp.icv_good", "-e", "data.data"],
            capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in res.stdout.strip().splitlines()]
    if len(rows) != len(payloads):
        failures.append(f"{name}: tshark shows {len(rows)} packets, expected {len(payloads)}")
    for i, (row, payload) in enumerate(zip(rows, payloads)):
        seq, icv_good, data = (row + ["", "", ""])[:3]
        if seq != str(i + 1) or icv_good not in ("1", "True") or data.replace(":", "") != payload.hex():
            failures.append(f"{name}: packet {i}: seq={seq} icv_good={icv_good} data={data[:32]}")
    print(("FAIL" if any(f.startswith(name) for f in failures) else "ok  ") + " " + name)


for v6 in (False, True):
    for key_len in (16, 32):
        case(v6, key_len)
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
