#!/usr/bin/python3
"""Integration test: LKH receivers with dataplanes in the mcsec-lab (ctest label `integration`).

`mcsec-lab up --sites 5 --keying mike --identity x509 --lkh-receivers 2`: sites 1-3 send (MIKE
among themselves, site 1 the TM and key server), sites 4 and 5 are receive-only boxes keyed by
LKH (keying.mode "lkh"), each with its own dataplane and red host; 48 more receivers (mcsec-controld
without a dataplane, namespaces lab-rx1..48 on the lab's black switch) make 50. Checks:
  1. all 50 receivers install the senders' key (same epoch and key check value) and multicast
     from site 1 arrives byte-identical at sites 2-5;
  2. site 5 is revoked on the TM while site 1 streams 3,000 packets: site 4 receives all of
     them, site 5 stops, the 48 others hold the new key; on the black capture of the stream, the
     keys in site 5's region open every packet sent under the key before its revocation and none
     of those sent under the key after it (mcsec-key-probe tries every key it holds on every
     packet, whatever the SPI), while site 4's keys open every packet sent under the new key.
Exit 77 (skipped) without root or namespaces.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import time

from labkit import (BUILD, CTL, DIR, LAB, capture_start, capture_stop, check, esp_packets,
                    expected_hash, failures, finish_recv, preflight, run, send, start_recv)

GROUP = "239.1.1.1"
SENDER_KEY = re.compile(r"group (\S+) epoch (\d+) key kcv ([0-9a-f]+) members (\d+) "
                        r"spi 0x([0-9a-f]+)")
RECEIVER_KEY = re.compile(r"group (\S+) epoch (\d+) key kcv ([0-9a-f]+) spi 0x([0-9a-f]+) via lkh")
KEY_PROBE = os.path.join(BUILD, "tests", "mcsec-key-probe")


SENDERS, LKH_SITES, BARE = (1, 2, 3), (4, 5), 48


def bare_config(i):
    """An LKH receiver without a dataplane, on the lab's black switch (192.0.2.100+i)."""
    return f"""schema_version = 1
[instance]
name = "lab-rx{i}"
sender_id = {100 + i}
[[ports]]
name = "red0"
role = "red"
device = "net_null0"
addresses = ["10.200.{i}.1/24"]
[[ports]]
name = "black0"
role = "black"
device = "net_null1"
addresses = ["192.0.2.{100 + i}/24", "2001:db8:b::{100 + i:x}/64"]
[[policies]]
name = "lab-v4"
transform = "aes-gcm-128"
esn = false
[[policies]]
name = "lab-v6"
transform = "aes-gcm-256"
esn = false
[[groups]]
address = "{GROUP}"
black_group = "239.255.1.1"
policy = "lab-v4"
members = ["lab*"]
senders = ["lab1", "lab2", "lab3"]
[[groups]]
address = "ff1e::1:1"
policy = "lab-v6"
members = ["lab*"]
senders = ["lab1", "lab2", "lab3"]
[identity]
ca = "pki/ca.pem"
certificate = "pki/lab-rx{i}.pem"
key = "pki/lab-rx{i}.key"
[discovery]
group = "239.192.0.1"
port = 7400
hello_interval_ms = 200
[keying]
mode = "lkh"
"""


def start_bare(i):
    """Namespace mcsec-rx<i> with `black0` on the lab's black switch, and its controld."""
    name = f"mcsec-rx{i}"
    for cmd in (f"ip netns add {name}",
                f"ip link add black0 netns {name} type veth peer name rx{i}s netns mcsec-black",
                f"ip -n mcsec-black link set rx{i}s master br0 up",
                f"ip -n {name} link set lo up", f"ip -n {name} link set black0 up",
                f"ip -n {name} addr add 192.0.2.{100 + i}/24 dev black0",
                f"ip -n {name} route add 224.0.0.0/4 dev black0",
                # No checksum offload: a veth frame with a partial UDP checksum would die after
                # the DPDK hop into the appliances' TAPs (as the lab does for its red hosts).
                f"ip netns exec {name} ethtool -K black0 tx off",
                f"{os.path.join(os.path.dirname(LAB), 'mcsec-pki')} node {DIR}/pki lab-rx{i}"):
        r = run(cmd)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd}: {r.stderr}")
    with open(f"{DIR}/rx{i}.toml", "w") as f:
        f.write(bare_config(i))
    log = open(f"{DIR}/controld-rx{i}.log", "w")
    return subprocess.Popen(
        ["ip", "netns", "exec", name, os.path.join(os.path.abspath(BUILD), "controlplane", "controld",
                                                   "mcsec-controld"),
         "--config", f"{DIR}/rx{i}.toml", "--state-dir", DIR, "--no-dataplane",
         "--socket", f"{DIR}/rx{i}.sock"], stdout=log, stderr=subprocess.STDOUT, cwd=DIR)


def keys(site):
    """(epoch, kcv, spi) of every key site's controld installed for GROUP, in order (a site
    number, or "rx<i>" for a bare receiver)."""
    try:
        with open(f"{DIR}/controld{site}.log" if isinstance(site, int) else
                  f"{DIR}/controld-{site}.log") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    if site in SENDERS:
        return [(int(m[2]), m[3], int(m[5], 16)) for m in SENDER_KEY.finditer(text)
                if m[1] == GROUP]
    return [(int(m[2]), m[3], int(m[4], 16)) for m in RECEIVER_KEY.finditer(text)
            if m[1] == GROUP]


def common_key(sites, after=0, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        latest = {s: (keys(s) or [None])[-1] for s in sites}
        values = set(latest.values())
        if len(values) == 1 and None not in values and next(iter(values))[0] > after:
            return next(iter(values))
        time.sleep(0.1)
    return None


def spi_of(packet):
    offset = (packet[0] & 0x0F) * 4 if packet[0] >> 4 == 4 else 40
    return struct.unpack("!I", packet[offset:offset + 4])[0]


def probe(site, packets):
    r = subprocess.run([KEY_PROBE, "--instance", f"lab{site}"], capture_output=True, text=True,
                       input="".join(p.hex() + "\n" for p in packets))
    if r.returncode != 0:
        return None
    return [int(line.split()[1]) for line in r.stdout.splitlines()
            if line.startswith("authenticated")]


def main():
    preflight()
    r = run(f"{LAB} up --sites 5 --keying mike --identity x509 --lkh-receivers 2 --dir {DIR}")
    bare = []
    try:
        if r.returncode != 0:
            check(False, f"mcsec-lab up --lkh-receivers 2: {r.stderr[-1500:]}")
            return
        bare = [start_bare(i) for i in range(1, BARE + 1)]
        everyone = list(SENDERS) + list(LKH_SITES) + [f"rx{i}" for i in range(1, BARE + 1)]
        first = common_key(everyone, timeout=40)
        check(first is not None, f"senders 1-3, LKH sites 4 and 5 and {BARE} bare receivers "
              f"hold one key {first}")
        if first is None:
            latest = {str(e): (keys(e) or [None])[-1] for e in everyone}
            print(f"      newest key per box: {latest}")
            print(run(f"tail -n 4 {DIR}/controld-rx1.log").stdout)
            return
        time.sleep(1.0)  # the senders switch after the activation delay (with the push's air time)
        rx = {s: start_recv(s, GROUP, 8, expect=100) for s in (2, 3, 4, 5)}
        send(1, GROUP, 100, tag="lkh")
        for s, p in rx.items():
            got = finish_recv(p)
            check(got["received"] == 100 and got["payload_sha256"] == expected_hash(100, tag="lkh"),
                  f"site {s} received {got['received']}/100 from site 1 byte-identical")

        # Revocation under traffic.
        count, rate = 3000, 300
        pcap = f"{DIR}/black-lkh-revocation.pcap"
        cap = capture_start(pcap)
        rx4 = start_recv(4, GROUP, count // rate + 8, expect=count)
        rx5 = start_recv(5, GROUP, count // rate + 8, expect=count)
        stream = send(1, GROUP, count, rate=rate, tag="revocation", wait=False)
        time.sleep(3.0)
        outcome = run(f"{CTL} --instance lab1 revoke {GROUP} lab5")
        check(outcome.returncode == 0 and "removed from the key tree" in outcome.stdout,
              f"mcsecctl revoke on the TM: {outcome.stdout.strip()} {outcome.stderr.strip()}")
        stream.communicate(timeout=60)
        capture_stop(cap)
        got4, got5 = finish_recv(rx4), finish_recv(rx5)
        others = [e for e in everyone if e != 5]
        after = common_key(others, after=first[0], timeout=10)
        check(after is not None and after not in keys(5),
              f"the senders rekeyed ({first[0]} -> {after and after[0]}), the {len(others) - 3} "
              f"other receivers hold the new key, site 5 never did")
        check(got4["received"] == count and
              got4["payload_sha256"] == expected_hash(count, tag="revocation"),
              f"site 4 lost nothing through the revocation ({got4['received']}/{count}, "
              f"byte-identical)")
        check(0 < got5["received"] < count,
              f"site 5 received the stream until its revocation only ({got5['received']}/"
              f"{count})")
        packets = esp_packets(pcap)
        old = [p for p in packets if spi_of(p) == first[2]]
        new = [p for p in packets if after and spi_of(p) == after[2]]
        held5, lost5 = probe(5, old), probe(5, new)
        check(held5 is not None and len(old) >= 100 and all(held5),
              f"key probe: site 5's keys open all {len(old)} packets sent under the key before "
              f"its revocation ({held5 and sum(1 for n in held5 if n)} opened)")
        check(lost5 is not None and len(new) >= 100 and not any(lost5),
              f"key probe: site 5's keys open none of the {len(new)} packets sent under the key "
              f"after its revocation ({lost5 and sum(1 for n in lost5 if n)} opened)")
        # Site 4 retired the old key after its deactivation delay (it has the new one).
        all4 = probe(4, new)
        check(all4 is not None and len(new) >= 100 and all(all4),
              f"key probe: site 4's keys open all {len(new)} packets sent under the new key")
    finally:
        for p in bare:
            p.kill()
            p.wait()
        for i in range(1, BARE + 1):
            run(f"ip netns del mcsec-rx{i}")
        if failures:
            for site in (1, 2, 3, 4, 5):
                print(f"--- controld{site}.log (tail)")
                print(run(f"tail -n 12 {DIR}/controld{site}.log").stdout)
        run(f"{LAB} down --dir {DIR}")
        check("mcsec-" not in run("ip netns list").stdout, "lab torn down: no mcsec namespaces left")
        shutil.rmtree(DIR, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all LKH lab checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
