#!/usr/bin/python3
"""Integration test: LKH receivers with dataplanes in the mcsec-lab (ctest label `integration`).

`mcsec-lab up --sites 4 --keying mike --identity x509 --lkh-receivers 2`: sites 1 and 2 send
(MIKE among themselves, site 1 the TM and key server), sites 3 and 4 are receive-only boxes
keyed by LKH (keying.mode "lkh"), each with its own dataplane and red host. Checks:
  1. the receivers install the senders' key (same epoch and key check value) and multicast from
     site 1 arrives byte-identical at sites 2, 3 and 4;
  2. site 4 is revoked on the TM while site 1 streams 3,000 packets: site 3 receives all of
     them, site 4 stops; on the black capture of the stream, the keys in site 4's region open
     every packet sent under the key before its revocation and none of those sent under the
     key after it (mcsec-key-probe tries every key it holds on every packet, whatever the SPI),
     while site 3's keys open every packet.
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


def keys(site):
    """(epoch, kcv, spi) of every key site's controld installed for GROUP, in order."""
    try:
        with open(f"{DIR}/controld{site}.log") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    if site <= 2:
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
    r = run(f"{LAB} up --sites 4 --keying mike --identity x509 --lkh-receivers 2 --dir {DIR}")
    try:
        if r.returncode != 0:
            check(False, f"mcsec-lab up --lkh-receivers 2: {r.stderr[-1500:]}")
            return
        first = common_key((1, 2, 3, 4))
        check(first is not None, f"senders 1, 2 and LKH receivers 3, 4 hold one key {first}")
        if first is None:
            return
        time.sleep(1.0)  # the senders switch after the activation delay (with the push's air time)
        rx = {s: start_recv(s, GROUP, 8, expect=100) for s in (2, 3, 4)}
        send(1, GROUP, 100, tag="lkh")
        for s, p in rx.items():
            got = finish_recv(p)
            check(got["received"] == 100 and got["payload_sha256"] == expected_hash(100, tag="lkh"),
                  f"site {s} received {got['received']}/100 from site 1 byte-identical")

        # Revocation under traffic.
        count, rate = 3000, 300
        pcap = f"{DIR}/black-lkh-revocation.pcap"
        cap = capture_start(pcap)
        rx3 = start_recv(3, GROUP, count // rate + 8, expect=count)
        rx4 = start_recv(4, GROUP, count // rate + 8, expect=count)
        stream = send(1, GROUP, count, rate=rate, tag="revocation", wait=False)
        time.sleep(3.0)
        outcome = run(f"{CTL} --instance lab1 revoke {GROUP} lab4")
        check(outcome.returncode == 0 and "removed from the key tree" in outcome.stdout,
              f"mcsecctl revoke on the TM: {outcome.stdout.strip()} {outcome.stderr.strip()}")
        stream.communicate(timeout=60)
        capture_stop(cap)
        got3, got4 = finish_recv(rx3), finish_recv(rx4)
        after = common_key((1, 2, 3), after=first[0], timeout=5)
        check(after is not None and after not in keys(4),
              f"the senders rekeyed ({first[0]} -> {after and after[0]}), site 3 holds the new "
              f"key, site 4 never did")
        check(got3["received"] == count and
              got3["payload_sha256"] == expected_hash(count, tag="revocation"),
              f"site 3 lost nothing through the revocation ({got3['received']}/{count}, "
              f"byte-identical)")
        check(0 < got4["received"] < count,
              f"site 4 received the stream until its revocation only ({got4['received']}/"
              f"{count})")
        packets = esp_packets(pcap)
        old = [p for p in packets if spi_of(p) == first[2]]
        new = [p for p in packets if after and spi_of(p) == after[2]]
        held4, lost4 = probe(4, old), probe(4, new)
        check(held4 is not None and len(old) >= 100 and all(held4),
              f"key probe: site 4's keys open all {len(old)} packets sent under the key before "
              f"its revocation ({held4 and sum(1 for n in held4 if n)} opened)")
        check(lost4 is not None and len(new) >= 100 and not any(lost4),
              f"key probe: site 4's keys open none of the {len(new)} packets sent under the key "
              f"after its revocation ({lost4 and sum(1 for n in lost4 if n)} opened)")
        all3 = probe(3, old + new)
        check(all3 is not None and all(all3),
              f"key probe: site 3's keys open all {len(old) + len(new)} of them")
    finally:
        if failures:
            for site in (1, 2, 3, 4):
                print(f"--- controld{site}.log (tail)")
                print(run(f"tail -n 12 {DIR}/controld{site}.log").stdout)
        run(f"{LAB} down --dir {DIR}")
        check("mcsec-" not in run("ip netns list").stdout, "lab torn down: no mcsec namespaces left")
        shutil.rmtree(DIR, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all LKH lab checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
