#!/usr/bin/python3
"""Integration test: a 3-site mcsec-lab with manual keys (ctest label `integration`).

Needs root and network namespaces; exits 77 (ctest: skipped) with the reason where they are
not available. Checks, in one lab:
  1. IPv4 and IPv6 multicast from site 1's red host arrives byte-identical at the red hosts of
     sites 2 and 3; a site that did not join the group gets nothing.
  2. The black switch carries only ESP (besides the appliances' own IGMP/MLD/ND), and tshark
     decrypts it with the lab keys (ICVs good) to exactly the payloads sent.
  2b. Exception path: each appliance answers ping on its black IPv4/IPv6 address through its
     kernel TAP; the TAPs join the black groups their red hosts want (the switch learns them),
     and only those.
  3. Red traffic without a policy is dropped and counted (fail closed).
  4. Bad input from the black side (plaintext multicast, unknown SPI, forged ICV, replay,
     truncated frame) is dropped and counted by reason; nothing reaches red.
  5. A continuous stream survives 100 SA rollovers (make-before-break) with zero loss.
  6. kill -9 of a sending dataplane under traffic: it re-attaches, forwards with the same SAs,
     and never reuses a sequence number (IV) on the black side.
  6b. The red-side querier lets the membership of a host that vanished without leaving lapse.
  7. MTU policies: "fragment" carries ESP over the black MTU in outer fragments that are
     reassembled before decap; "icmp" answers oversize IPv6 with a packet-too-big and drops
     oversize IPv4 multicast (RFC 1122: no ICMP about multicast).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

from labkit import (BUILD, CTL, DIR, LAB, capture_start, capture_stop, check,  # noqa: F401
                    counters, expected_hash, failures, finish_recv, ns, preflight, run, send,
                    skip, start_recv)

LAB_KEY_V4 = "000102030405060708090a0b0c0d0e0fcafebabe"
LAB_KEY_V6 = "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2fdeadbeef"


def tshark(path, fields, extra="", decrypt=True):
    uat_v4 = (f'uat:esp_sa:"IPv4","*","*","*","AES-GCM with 16 octet ICV [RFC4106]",'
              f'"0x{LAB_KEY_V4}","NULL",""')
    uat_v6 = (f'uat:esp_sa:"IPv6","*","*","*","AES-GCM with 16 octet ICV [RFC4106]",'
              f'"0x{LAB_KEY_V6}","NULL",""')
    cmd = (f"tshark -r {path} -o esp.enable_encryption_decode:{'TRUE' if decrypt else 'FALSE'} "
           f"-o esp.enable_authentication_check:TRUE -o '{uat_v4}' -o '{uat_v6}' {extra} "
           f"-T fields " + " ".join(f"-e {f}" for f in fields))
    r = run(cmd)
    return [line.split("\t") for line in r.stdout.splitlines() if line.strip()]


def check_black_joins():
    """While the red receivers listen: the kernels of the appliances whose red hosts joined
    239.1.1.1 (sites 2, 3) joined its black group 239.255.1.1, site 2's also ff1e::1:1, and
    site 1 (no red receiver) none; the black switch learned it all from the TAPs' IGMP/MLD."""
    want = {("vb2s", "239.255.1.1"), ("vb3s", "239.255.1.1"), ("vb2s", "ff1e::1:1")}
    learned = set()
    deadline = time.time() + 5
    while time.time() < deadline:
        mdb = json.loads(run(ns("mcsec-black", "bridge -j mdb show")).stdout or "[]")
        learned = {(e["port"], e["grp"]) for d in mdb for e in d.get("mdb", [])
                   if not e["grp"].startswith("ff02:")}
        if want <= learned:
            break
        time.sleep(0.2)
    check(want <= learned, f"black switch learned the wanted black groups from the TAPs' "
          f"IGMP/MLD reports (learned {sorted(learned)})")
    check(not black_group_joined(1, "239.255.1.1"),
          "site 1, without red receivers, is not joined to the black group")


def black_group_joined(site, group):
    """The dataplane's last word on `group` in its log: joined, or left / never joined."""
    with open(os.path.join(DIR, f"site{site}.log")) as f:
        lines = [l for l in f if l.rstrip().endswith(f"black group {group} on black0")]
    return bool(lines) and " joined " in lines[-1]


def test_delivery_and_black_capture():
    cap = os.path.join(DIR, "black.pcap")
    c = capture_start(cap)
    r2v4 = start_recv(2, "239.1.1.1", 15, expect=200)
    r2v6 = start_recv(2, "ff1e::1:1", 15, expect=200)
    r3v4 = start_recv(3, "239.1.1.1", 15, expect=200)
    r3v6_unjoined = start_recv(3, "ff1e::1:1", 6, no_join=True)
    before = counters(1)
    send(1, "239.1.1.1", 200, tag="v4")
    send(1, "ff1e::1:1", 200, tag="v6")
    send(1, "239.9.9.9", 20, tag="nopol")  # no policy: must never leave
    check_black_joins()
    results = {k: finish_recv(p) for k, p in
               {"2v4": r2v4, "2v6": r2v6, "3v4": r3v4, "3v6": r3v6_unjoined}.items()}
    capture_stop(c)
    after = counters(1)
    for key, tag in (("2v4", "v4"), ("2v6", "v6"), ("3v4", "v4")):
        check(results[key]["received"] == 200 and
              results[key]["payload_sha256"] == expected_hash(200, tag=tag),
              f"site {key[0]} IPv{key[2]}: 200 packets byte-identical "
              f"(got {results[key]['received']})")
    check(results["3v6"]["received"] == 0, "site 3 did not join the IPv6 group and got nothing")
    check(after["drops"]["no_policy"] - before["drops"]["no_policy"] >= 20,
          "red traffic without a policy dropped and counted as no_policy (fail closed)")

    # Outer headers only (no decryption, so inner headers are not dissected). Besides ESP the
    # black network carries only the appliances' own kernels' IGMP/MLD/ND (exception path).
    ip_rows = tshark(cap, ["ip.proto", "ipv6.nxt", "ip.src", "ipv6.src"], "-Y 'ip or ipv6'",
                     decrypt=False)
    esp_rows = [r for r in ip_rows if "50" in r[:2]]
    control = {"2", "58", "0", "0,58"}  # IGMP, ICMPv6, hop-by-hop (MLD)
    leaked = [r for r in ip_rows if "50" not in r[:2] and not (set(r[:2]) & control)]
    check(len(esp_rows) >= 400 and not leaked,
          f"black capture: {len(esp_rows)} ESP packets and otherwise only IGMP/MLD/ND "
          f"(anything else: {leaked[:3]})")
    rows = tshark(cap, ["esp.spi", "esp.icv_good", "data.data"], "-Y esp")
    good = [r for r in rows if len(r) >= 2 and r[1] in ("1", "True")]
    check(len(rows) >= 400 and len(good) == len(rows),
          f"tshark verified the ICV of every ESP packet ({len(good)}/{len(rows)})")
    v4_payloads = [bytes.fromhex(r[2].replace(":", "")) for r in rows
                   if r[0] == "0x00001001" and len(r) > 2]
    h = hashlib.sha256(b"".join(p for p in v4_payloads if p.startswith(b"v4")))
    check(h.hexdigest() == expected_hash(200, tag="v4"),
          "tshark decrypts the IPv4 group's ESP to exactly the payloads sent")
    return cap


def test_exception_path():
    """The black port's kernel TAP: the appliance answers ARP/ND and ping on its black
    addresses, and its kernel joins the black groups its red hosts want."""
    for site in (1, 2, 3):
        before = counters(site)["exception"]
        for address, flag in ((f"192.0.2.{site}", ""), (f"2001:db8:b::{site}", "-6")):
            r = run(ns("mcsec-black", f"ping {flag} -c 3 -i 0.2 -W 2 {address}"))
            check(r.returncode == 0 and " 0% packet loss" in r.stdout and "dup" not in r.stdout.lower(),
                  f"site {site}: {address} answers ping through the exception TAP, once each")
        check(counters(site)["exception"] - before >= 6,
              f"site {site}: the pings were handed to the kernel (exception counter)")
    # Site 3's red host joined only the IPv4 group: its appliance is not in the IPv6 one.
    check(not black_group_joined(3, "ff1e::1:1"),
          "site 3 is not joined to the IPv6 black group (no red member)")


def test_fragment_policy():
    """mtu_policy "fragment" (the lab's): red packets that fit the red MTU but not the black one
    once encrypted cross in outer fragments, are reassembled before decap and arrive whole."""
    cap = os.path.join(DIR, "fragments.pcap")
    c = capture_start(cap)
    count = 50
    r4 = start_recv(2, "239.1.1.1", 10, expect=count)
    r6 = start_recv(2, "ff1e::1:1", 10, expect=count)
    before = counters(2)
    send(1, "239.1.1.1", count, rate=200, tag="bigv4", size=1450)
    send(1, "ff1e::1:1", count, rate=200, tag="bigv6", size=1440)
    results = {"v4": finish_recv(r4), "v6": finish_recv(r6)}
    capture_stop(c)
    for family, size in (("v4", 1450), ("v6", 1440)):
        res = results[family]
        check(res["received"] == count and
              res["payload_sha256"] == expected_hash(count, tag=f"big{family}", size=size),
              f"IP{family}: {count} packets of {size} bytes (over the black MTU once "
              f"encrypted) arrived whole at site 2 ({res['received']})")
    # The capture may miss frames on a busy 2-core machine; what it holds must be fragments.
    v4_first = tshark(cap, ["frame.number"], "-Y 'ip.flags.mf == 1 and ip.proto == 50'",
                      decrypt=False)
    v6_first = tshark(cap, ["ipv6.fraghdr.ident"],
                      "-Y 'ipv6.fraghdr.more == 1 and ipv6.fraghdr.nxt == 50'", decrypt=False)
    check(v4_first and v6_first, f"black capture holds outer fragments of ESP (IPv4 "
          f"{len(v4_first)}, IPv6 {len(v6_first)} first fragments)")
    idents = [r[0] for r in v6_first]
    check(len(set(idents)) == len(idents),
          f"every IPv6 packet's fragments carry their own identification ({len(idents)})")
    after = counters(2)
    check(after["drops"]["outer_fragment"] == before["drops"]["outer_fragment"],
          "no outer fragment dropped at site 2")


def test_icmp_policy():
    """mtu_policy "icmp": site 1 restarted with it; oversize IPv6 makes it answer the red host
    with an ICMPv6 packet-too-big (checked by scapy), oversize IPv4 multicast is dropped and
    counted without ICMP (RFC 1122)."""
    conf = os.path.join(DIR, "site1.toml")
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace('mtu_policy = "fragment"', 'mtu_policy = "icmp"'))
    r = run(f"{LAB} restart --site 1 --dir {DIR}")
    check(r.returncode == 0, f"site 1 restarted with mtu_policy icmp {r.stderr[-300:]}")
    sniff = f"""
import hashlib
import json
from scapy.all import sniff, IPv6, ICMPv6PacketTooBig
p = sniff(iface="red1", filter="icmp6 and ip6[40] == 2", count=1, timeout=8)
if not p:
    print(json.dumps({{}})); raise SystemExit
ptb = p[0][ICMPv6PacketTooBig]
sent = ptb.cksum
ptb.cksum = None
print(json.dumps({{"src": p[0][IPv6].src, "dst": p[0][IPv6].dst, "mtu": ptb.mtu,
                  "cksum_ok": IPv6(bytes(p[0][IPv6]))[ICMPv6PacketTooBig].cksum == sent and
                              ICMPv6PacketTooBig in IPv6(bytes(p[0][IPv6])),
                  "quoted_dst": ptb.payload.dst if ptb.payload else "",
                  "length": len(p[0][IPv6])}}))
"""
    path = os.path.join(DIR, "sniff_ptb.py")
    with open(path, "w") as f:
        f.write(sniff)
    sniffer = subprocess.Popen(ns("mcsec-red1", f"/usr/bin/python3 {path}"), shell=True,
                               stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    before = counters(1)["drops"]["mtu_exceeded"]
    receiver = start_recv(2, "ff1e::1:1", 6, expect=3)
    send(1, "ff1e::1:1", 3, rate=5, tag="ptb", size=1440)
    out, _ = sniffer.communicate(timeout=30)
    got = finish_recv(receiver)["received"]
    ptb = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    check(ptb.get("src") == "fd00:1::1" and ptb.get("dst") == "fd00:1::10" and
          ptb.get("mtu") == 1426 and ptb.get("quoted_dst") == "ff1e::1:1" and
          ptb.get("cksum_ok") is True,
          f"oversize IPv6: ICMPv6 packet-too-big to the red host, MTU 1426, checksum good "
          f"({ptb})")
    # Path MTU discovery at work: the red host now fragments at the source, so its next
    # packets fit once encrypted and reach site 2; only the first was lost.
    check(got == 2, f"after the packet-too-big the red host's next IPv6 packets fit and "
          f"arrive at site 2 ({got} of 3)")
    middle = counters(1)["drops"]["mtu_exceeded"]
    send(1, "239.1.1.1", 5, rate=50, tag="big4", size=1450)
    time.sleep(0.5)
    after = counters(1)["drops"]["mtu_exceeded"]
    check(middle - before == 1 and after - middle == 5,
          f"oversize IPv6 ({middle - before}) and IPv4 ({after - middle}) dropped and counted "
          f"as mtu_exceeded")


def test_membership_lapses():
    """The red-side querier (query_interval_s = 2 in the lab): a red host that vanishes without
    leaving stops receiving once its membership lapses (5 s), and its appliance leaves the
    black group. The host's leave is suppressed with nftables to play the vanished host."""
    ns2 = "mcsec-red2"
    r = start_recv(2, "239.1.1.1", 30)
    time.sleep(1.0)
    check(black_group_joined(2, "239.255.1.1"), "site 2 joined the black group for its host")
    rules = ["add table inet mcsec_vanish",
             "add chain inet mcsec_vanish out '{ type filter hook output priority 0; }'",
             "add rule inet mcsec_vanish out ip protocol igmp drop",
             "add rule inet mcsec_vanish out meta l4proto icmpv6 drop"]
    for rule in rules:
        run(ns(ns2, f"nft {rule}"))
    run(ns(ns2, "pkill -f 'mcast.py recv'"))  # its leave is dropped on the way out
    r.communicate(timeout=10)
    t0 = time.time()
    while time.time() - t0 < 15 and black_group_joined(2, "239.255.1.1"):
        time.sleep(0.2)
    lapsed = time.time() - t0
    check(not black_group_joined(2, "239.255.1.1"),
          f"site 2 let the silent membership lapse and left the black group ({lapsed:.1f} s)")
    before = counters(2)
    send(1, "239.1.1.1", 20, tag="lapsed")
    time.sleep(0.5)
    after = counters(2)
    check(after["red_tx"] == before["red_tx"] and
          after["drops"]["no_subscriber"] - before["drops"]["no_subscriber"] >= 20,
          "traffic for the lapsed group no longer reaches site 2's red port (no_subscriber)")
    run(ns(ns2, "nft delete table inet mcsec_vanish"))


def test_bad_black_input(cap):
    """Injects bad frames on the black switch; every appliance must drop them by reason."""
    script = f"""
import sys
from scapy.all import rdpcap, sendp, Ether, IP, UDP, Raw, ESP
pk = [p for p in rdpcap("{cap}") if p.haslayer(ESP) and p.haslayer(IP)]
esp = pk[5]
raw = bytes(esp)
frames = []
frames.append(Ether(dst="01:00:5e:01:01:01")/IP(src="192.0.2.66", dst="239.1.1.1")/UDP(dport=40001)/Raw(b"plaintext"))
unknown = bytearray(raw); unknown[14+20+3] ^= 0x55              # SPI
forged = bytearray(raw); forged[14+20+4:14+20+8] = (4000000).to_bytes(4, "big")  # seq (in the AAD): fresh, but the ICV no longer matches
for b in (unknown, forged):
    frames.append(Ether(bytes(b)))
trunc = Ether(raw[:14+20+12])  # valid IP header (checksum too: snooping switches check it), ESP cut short
trunc[IP].len = 20 + 12
del trunc[IP].chksum
frames.append(Ether(bytes(trunc)))
frames.append(Ether(raw))   # a replay of a packet every site already accepted
sendp(frames, iface="br0", verbose=False)
"""
    path = os.path.join(DIR, "inject.py")
    with open(path, "w") as f:
        f.write(script)
    before = {s: counters(s) for s in (2, 3)}
    r = run(ns("mcsec-black", f"/usr/bin/python3 {path}"))
    check(r.returncode == 0, f"injected bad frames on the black switch {r.stderr[-300:]}")
    time.sleep(1.0)
    for s in (2, 3):
        after = counters(s)
        d = {k: after["drops"][k] - before[s]["drops"][k] for k in after["drops"]}
        for reason in ("not_esp", "unknown_spi", "icv_mismatch", "truncated", "replay"):
            check(d[reason] >= 1, f"site {s}: bad black input counted as {reason}")
        check(after["red_tx"] == before[s]["red_tx"], f"site {s}: nothing reached red")


def mcsecctl(site, *args):
    r = run(f"{CTL} --config {DIR}/site{site}.toml " + " ".join(args))
    if r.returncode != 0:
        raise RuntimeError(f"mcsecctl site {site} {' '.join(args)}: {r.stderr}")
    return r.stdout


def test_rollover_under_traffic(rounds=100):
    count, rate = 6000, 400  # 15 s of traffic
    r2 = start_recv(2, "239.1.1.1", 40, expect=count)
    r3 = start_recv(3, "239.1.1.1", 40, expect=count)
    before = {s: counters(s) for s in (2, 3)}
    sender = send(1, "239.1.1.1", count, rate=rate, tag="roll", wait=False)
    time.sleep(0.5)
    old = 0x1001
    t0 = time.time()
    for k in range(rounds):
        new = 0x3000 + k
        key = os.urandom(20).hex()
        for s in (1, 2, 3):   # every receiver accepts the new SA first...
            mcsecctl(s, "sa add", "--group 239.1.1.1", f"--spi {new}", f"--key {key}")
        for s in (1, 2, 3):   # ...then senders switch...
            mcsecctl(s, "sa switch", "--group 239.1.1.1", f"--spi {new}")
        time.sleep(0.02)      # ...and the old SA goes after packets in flight have landed
        for s in (1, 2, 3):
            mcsecctl(s, "sa retire", "--group 239.1.1.1", f"--spi {old}")
        old = new
    elapsed = time.time() - t0
    sender.communicate(timeout=120)
    results = {s: finish_recv(p) for s, p in ((2, r2), (3, r3))}
    for s in (2, 3):
        res = results[s]
        after = counters(s)
        lost = count - res["received"]
        rejected = sum(after["drops"][k] - before[s]["drops"][k]
                       for k in ("unknown_spi", "icv_mismatch", "replay"))
        check(lost == 0 and res["payload_sha256"] == expected_hash(count, tag="roll"),
              f"site {s}: {rounds} rollovers in {elapsed:.1f}s under traffic, "
              f"{res['received']}/{count} received byte-identical")
        check(rejected == 0, f"site {s}: no packet rejected during rollovers ({rejected})")
    sa = json.loads(run(f"{CTL} --instance lab1 show sa --json").stdout)
    check(len([x for x in sa if x["state"] == "active"]) == 2,
          f"after {rounds} rollovers only the current SAs remain ({len(sa)} slots in use)")


def test_restart_under_traffic():
    cap = os.path.join(DIR, "restart.pcap")
    c = capture_start(cap)
    count, rate = 3000, 500
    r2 = start_recv(2, "239.1.1.1", 30, expect=count)
    sender = send(1, "239.1.1.1", count, rate=rate, tag="restart", wait=False)
    time.sleep(2.0)
    r = run(f"{LAB} restart --site 1 --kill --dir {DIR}")
    check(r.returncode == 0, f"site 1 dataplane killed with SIGKILL and restarted {r.stderr[-1500:]}")
    sender.communicate(timeout=120)
    res = finish_recv(r2)
    capture_stop(c)
    seqs = res["seqs"]
    check(res["received"] > 0 and max(seqs) > count * 0.8,
          f"site 2 keeps receiving after the restart ({res['received']}/{count}, last {max(seqs) if seqs else None})")
    rows = tshark(cap, ["ip.src", "esp.spi", "esp.sequence"], "-Y esp")
    keys = [tuple(r) for r in rows if len(r) == 3 and r[0].startswith("192.0.2.1")]
    check(len(keys) > 0 and len(keys) == len(set(keys)),
          f"no (SPI, sequence number) reused by site 1 across the restart ({len(keys)} packets)")
    log = open(os.path.join(DIR, "site1.log")).read()
    check("re-attached" in log, "the restarted dataplane re-attached to its region")


def main():
    preflight()
    r = run(f"{LAB} up --sites 3 --dir {DIR}")
    try:
        if r.returncode != 0:
            check(False, f"mcsec-lab up: {r.stderr[-1500:]}")
            return
        cap = test_delivery_and_black_capture()
        test_exception_path()
        test_fragment_policy()
        test_membership_lapses()
        test_bad_black_input(cap)
        test_rollover_under_traffic()
        test_restart_under_traffic()
        test_icmp_policy()
    finally:
        run(f"{LAB} down --dir {DIR}")
        left = run("ip netns list").stdout
        check("mcsec-" not in left, "lab torn down: no mcsec namespaces left")
        shutil.rmtree(DIR, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all lab checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
