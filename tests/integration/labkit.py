"""Shared helpers of the lab integration tests: results, shell, namespaces, the red hosts'
multicast sender/receiver (tools/lab/mcast.py) and the appliances' counters."""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAB = os.path.join(ROOT, "tools", "mcsec-lab")
MCAST = os.path.join(ROOT, "tools", "lab", "mcast.py")
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
from mcast import payload  # noqa: E402  (the exact bytes the sender sends)

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
CTL = os.path.join(BUILD, "tools", "mcsecctl", "mcsecctl")
DIR = tempfile.mkdtemp(prefix="mcsec-lab-test-")
failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, **kw)


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def ns(name, cmd):
    return f"ip netns exec {name} {cmd}"


def start_recv(site, group, seconds, expect=0, no_join=False):
    cmd = ns(f"mcsec-red{site}", f"/usr/bin/python3 {MCAST} recv --group {group} --ifname red{site} "
             f"--seconds {seconds} --expect {expect}" + (" --no-join" if no_join else ""))
    p = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE, text=True)
    assert json.loads(p.stdout.readline())["ready"]
    return p


def finish_recv(p):
    out, _ = p.communicate(timeout=120)
    return json.loads(out.strip().splitlines()[-1])


def send(site, group, count, rate=500, first=1, tag="mcsec", size=100, wait=True):
    cmd = ns(f"mcsec-red{site}", f"/usr/bin/python3 {MCAST} send --group {group} --ifname red{site} "
             f"--count {count} --rate {rate} --first {first} --tag {tag} --size {size}")
    p = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE, text=True)
    if wait:
        p.communicate(timeout=120)
    return p


def expected_hash(count, first=1, tag="mcsec", size=100):
    h = hashlib.sha256()
    for seq in range(first, first + count):
        h.update(payload(tag, seq, size))
    return h.hexdigest()


def counters(site):
    r = run(f"{CTL} --instance lab{site} show counters --json")
    return json.loads(r.stdout)


def preflight():
    """Skips (exit 77) where the lab cannot run; fails where this build is incomplete."""
    import shutil
    if os.geteuid() != 0:
        skip("needs root for network namespaces")
    if run("ip netns add mcsec-probe && ip netns del mcsec-probe").returncode != 0:
        skip("network namespaces are not allowed here")
    for tool in ("dumpcap", "tshark"):
        if shutil.which(tool) is None:
            skip(f"{tool} missing (tools/install-deps.sh installs it)")
    if not os.access(CTL, os.X_OK):
        print(f"FAIL: {CTL} not built")
        sys.exit(1)
    os.environ["MCSEC_BUILD"] = BUILD  # every mcsec-lab call uses this build's binaries


def capture_start(path):
    """dumpcap on the black switch (classic pcap, so esp_packets() can read it)."""
    # No shell in between: `ip netns exec` execs dumpcap, so terminate() reaches dumpcap itself
    # (through a shell, dumpcap outlived capture_stop and went on writing the file).
    p = subprocess.Popen(["ip", "netns", "exec", "mcsec-black", "dumpcap", "-q", "-P", "-i", "br0",
                          "-w", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return p


def capture_stop(p):
    time.sleep(0.5)
    p.terminate()
    p.wait(timeout=10)


def esp_packets(path):
    """The IP packets (Ethernet payloads, as bytes) of a pcap file that carry ESP, unfragmented."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        raise RuntimeError(f"{path}: not a little-endian classic pcap file")
    packets, at = [], 24
    while at + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, at + 8)[0]
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        ethertype = frame[12:14]
        ip = frame[14:]
        if ethertype == b"\x08\x00" and len(ip) >= 20 and ip[9] == 50 and \
                not struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            packets.append(ip[:struct.unpack("!H", ip[2:4])[0]])
        elif ethertype == b"\x86\xdd" and len(ip) >= 40 and ip[6] == 50:
            packets.append(ip[:40 + struct.unpack("!H", ip[4:6])[0]])
    return packets
