#!/usr/bin/python3
"""Integration test of config/samples/pcap-offline.toml (ctest label `integration`): the
dataplane replays a red capture offline and writes ESP to black-out.pcap, which tshark decrypts
with the sample's key; fed back in as a black capture to a second appliance (sender 2), it comes
out of red-out.pcap as the original packets with the TTL one lower.

Usage: pcap_offline_test.py BUILD_DIR     (exit 77 = skipped: not root)
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = sys.argv[1]
DP = os.path.join(BUILD, "dataplane", "dpdk", "mcsec-dataplane")
SAMPLE = os.path.join(ROOT, "config", "samples", "pcap-offline.toml")
KEY = "feffe9928665731c6d6a8f9467308308cafebabe"

if os.geteuid() != 0:
    print("SKIP: DPDK needs root here")
    sys.exit(77)

from scapy.all import Ether, IP, UDP, Raw, rdpcap, wrpcap  # noqa: E402

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def run_dataplane(workdir, config, seconds=3):
    for instance in ("offline1", "offline2"):
        subprocess.run(["rm", "-f", f"/dev/shm/mcsec.{instance}"])
    p = subprocess.Popen([DP, "--config", config], cwd=workdir, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate(timeout=20)
    return p.returncode, out


work = tempfile.mkdtemp(prefix="mcsec-pcap-")
try:
    # The sample with a private state directory (nonce ledger) instead of /var/lib/mcsec.
    with open(SAMPLE) as f:
        sample = f.read().replace("sender_id = 1\n",
                                  f'sender_id = 1\nstate_dir = "{work}/state"\n', 1)
    fd = os.open(os.path.join(work, "pcap-offline.toml"), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(sample)
    red = [Ether(dst="01:00:5e:01:01:01") / IP(src="10.1.0.10", dst="239.1.1.1", ttl=9) /
           UDP(sport=40000, dport=40001) / Raw(b"offline %d" % i) for i in range(20)]
    red.append(Ether() / IP(src="10.1.0.10", dst="239.9.9.9") / UDP() / Raw(b"no policy"))
    wrpcap(os.path.join(work, "red-in.pcap"), red)
    wrpcap(os.path.join(work, "black-in.pcap"), [Ether() / IP(src="192.0.2.9", dst="239.1.1.1") / UDP()])
    rc, out = run_dataplane(work, "pcap-offline.toml")
    check(rc == 0 and "stopped" in out, f"dataplane ran on the sample and stopped cleanly (rc {rc})")
    uat = (f'uat:esp_sa:"IPv4","*","*","0x00001000","AES-GCM with 16 octet ICV [RFC4106]",'
           f'"0x{KEY}","NULL",""')
    r = subprocess.run(["tshark", "-r", os.path.join(work, "black-out.pcap"), "-o",
                        "esp.enable_encryption_decode:TRUE", "-o", uat, "-T", "fields",
                        "-e", "ip.dst", "-e", "esp.spi", "-e", "data.data"],
                       capture_output=True, text=True)
    rows = [l.split("\t") for l in r.stdout.splitlines() if l.strip()]
    payloads = [bytes.fromhex(row[2].replace(":", "")) for row in rows if len(row) > 2]
    check(len(rows) == 20 and all(row[0].startswith("239.255.1.1") for row in rows),
          f"black-out.pcap: 20 ESP packets to the black group ({len(rows)})")
    check(payloads == [b"offline %d" % i for i in range(20)],
          "tshark decrypts them to the red payloads; the unprotected group never left")

    # The reverse: a second appliance (sender ID 2) decapsulates that capture.
    with open(os.path.join(work, "pcap-offline.toml")) as f:
        text = f.read().replace('name = "offline1"', 'name = "offline2"').replace(
            "sender_id = 1", "sender_id = 2")
    fd = os.open(os.path.join(work, "reverse.toml"), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(os.path.join(work, "reverse.toml"), 0o600)
    shutil.copy(os.path.join(work, "black-out.pcap"), os.path.join(work, "black-in.pcap"))
    wrpcap(os.path.join(work, "red-in.pcap"), [Ether() / IP(dst="239.9.9.9") / UDP()])
    rc, out = run_dataplane(work, "reverse.toml")
    back = [p for p in rdpcap(os.path.join(work, "red-out.pcap"))]
    expected = [bytes(p[IP]) for p in red[:20]]
    got = []
    for p in back:
        ip = p[IP].copy()
        ip.ttl += 1
        del ip.chksum
        got.append(bytes(IP(bytes(ip))))
    check(len(back) == 20 and all(p[IP].ttl == 8 for p in back),
          f"red-out.pcap: 20 packets, TTL decremented ({len(back)})")
    check(got == expected, "decapsulated packets equal the originals (up to the TTL)")
finally:
    shutil.rmtree(work, ignore_errors=True)
    for instance in ("offline1", "offline2"):
        subprocess.run(["rm", "-f", f"/dev/shm/mcsec.{instance}"])
print(f"{len(failures)} failed" if failures else "all pcap checks passed")
sys.exit(1 if failures else 0)
