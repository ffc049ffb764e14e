#!/usr/bin/python3
"""Integration test: the mcsec-lab with MIKE keying (ctest label `integration`).

Sites 1-3 run mcsec-dataplane and mcsec-controld; no key is in any file. Site 4 is a new box:
its dataplane runs, its controld starts later. Checks:
  1. The appliances discover each other and agree one key per group (same epoch and key check
     value at every site); IPv4 multicast from site 1 arrives byte-identical at sites 2 and 3,
     and site 4, holding no key yet, delivers nothing (its dataplane counts unknown SPIs).
     mcsecctl shows peers and groups over controld's operator API; an operator rekey on the
     TM moves every site to a new epoch (and is refused on a member). Sites 2 and 3 are
     registered with the TM; a member that uses up the IPv6 group's packet lifetime reports
     SA_EXPIRED to the TM, which rekeys. The sites exchange red prefixes over TLS 1.3
     (mutual certificates); the TM shows them, again after a peer's restart.
  1b. Site 4's controld starts (a new site joins): all four share a new key, site 4 receives,
     and the TM holds its red prefixes; then site 4's controld stops and sites 1-3 rekey
     without it.
  2. Site 3's controld stops (a leave): sites 1 and 2 rekey without it; site 3, whose
     dataplane still holds the old keys, can no longer decrypt (its red host gets nothing, its
     dataplane counts unknown SPIs), while site 2 keeps receiving. And cryptographically: none
     of the keys in site 3's region opens any ESP packet captured on the black switch after
     the leave, whatever its SPI, while they open every packet of its last epoch.
  3. Site 3 comes back (a join): all three share the new key and site 3 receives again.
  4. Site 2's controld is killed -9 and restarted (a restart is a join): converged again.
  5. The transaction manager (site 1, the smallest node id) is killed -9 while site 2 streams
     to site 3: the others elect a new TM, rekey, and the stream keeps flowing.
Exit 77 (skipped) without root or namespaces.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

from labkit import (BUILD, CTL, DIR, LAB, capture_start, capture_stop, check, counters,
                    esp_packets, expected_hash, failures, finish_recv, preflight, run, send,
                    start_recv)

KEY_LINE = re.compile(r"group (\S+) epoch (\d+) key kcv ([0-9a-f]+) members (\d+)")
GROUP = "239.1.1.1"
GROUP_V6 = "ff1e::1:1"
PRIVATE = "239.1.1.2"  # mcsec-lab's group of sites 1 and 2 only (members = ["lab1", "lab2"])
PRIVATE_SITES = (1, 2)
KEY_PROBE = os.path.join(BUILD, "tests", "mcsec-key-probe")


def latest_key(site, group=GROUP):
    """The newest (epoch, kcv, members) site's controld agreed for `group`, or None."""
    try:
        with open(f"{DIR}/controld{site}.log") as f:
            found = [m for m in map(KEY_LINE.search, f) if m and m[1] == group]
    except FileNotFoundError:
        return None
    return (int(found[-1][2]), found[-1][3], int(found[-1][4])) if found else None


def wait_agreement(sites, members, after_epoch=0, timeout=20.0, group=GROUP):
    """Waits until every site in `sites` holds the same key of `members` members, newer than
    `after_epoch`; returns (epoch, kcv, seconds) or None."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        keys = {latest_key(s, group) for s in sites}
        if len(keys) == 1:
            key = next(iter(keys))
            if key and key[2] == members and key[0] > after_epoch:
                return key[0], key[1], time.time() - t0
        time.sleep(0.05)
    return None


def lab(*args):
    r = run(f"{LAB} {' '.join(args)} --dir {DIR}")
    check(r.returncode == 0, f"mcsec-lab {' '.join(args)} {r.stderr[-400:]}")


def deliver(sender, receivers, absent=(), count=100, tag="mike", group=GROUP):
    """`count` packets from `sender`: byte-identical at `receivers`, none at `absent`."""
    rx = {s: start_recv(s, group, 8, expect=count) for s in receivers}
    rx.update({s: start_recv(s, group, 4) for s in absent})
    send(sender, group, count, tag=tag)
    results = {s: finish_recv(p) for s, p in rx.items()}
    for s in receivers:
        check(results[s]["received"] == count and
              results[s]["payload_sha256"] == expected_hash(count, tag=tag),
              f"site {s} received {results[s]['received']}/{count} from site {sender} "
              f"byte-identical")
    for s in absent:
        check(results[s]["received"] == 0, f"site {s} received nothing ({results[s]['received']})")


def check_prefixes(when, sites=(2, 3)):
    """Red prefixes travel over TLS 1.3 with mutual certificates (IDP prefix exchange): the TM
    holds each peer's red networks, as configured on its red port."""
    expected = {f"lab{i}": [f"10.{i}.0.0/24", f"fd00:{i}::/64"] for i in sites}
    deadline = time.time() + 5
    while time.time() < deadline:
        peers = json.loads(run(f"{CTL} --instance lab1 show peers --json").stdout or "[]")
        held = {p["node_id"]: sorted(p["prefixes"] or []) for p in peers if p["state"] == "up"}
        if held == expected:
            break
        time.sleep(0.2)
    check(held == expected, f"{when}: the TM holds the peers' red prefixes from the TLS "
          f"exchange ({held})")


def check_sender_ids():
    """Every holder of a MIKE key sends with its own RFC 6054 sender ID (its position in the key
    tree), whatever the configs say: in each site's fast-path table, an SA held by all three
    sites carries three different sender IDs, 1..3."""
    by_spi = {}
    for site in (1, 2, 3):
        sas = json.loads(run(f"{CTL} --instance lab{site} show sa --json").stdout or "[]")
        for sa in sas:
            if sa["group"] == GROUP and sa["state"] == "active":
                by_spi.setdefault(sa["spi"], {})[site] = sa["sender_id"]
    shared = {spi: ids for spi, ids in by_spi.items() if len(ids) == 3}
    check(shared and all(sorted(ids.values()) == [1, 2, 3] for ids in shared.values()),
          f"each SA shared by the three sites has sender IDs 1, 2, 3, one per site ({shared})")


def sa_expired_rekeys_the_group():
    """The IPv6 group's policy has a 300-packet soft lifetime (mcsec-lab, MIKE): site 2, a member,
    sends 400 packets, its fast path marks its sending SA soft-expired, its controld reports
    SA_EXPIRED to the TM (registration ALARM over unicast), and the TM rekeys the group."""
    before = latest_key(1, GROUP_V6)
    send(2, GROUP_V6, 400, rate=2000, tag="lifetime")
    deadline = time.time() + 10
    while time.time() < deadline:
        keys = {latest_key(s, GROUP_V6) for s in (1, 2, 3)}
        if len(keys) == 1 and before and next(iter(keys))[0] > before[0]:
            break
        time.sleep(0.1)
    after = latest_key(1, GROUP_V6)
    check(before and len(keys) == 1 and after[0] > before[0],
          f"site 2 used up {GROUP_V6}'s packet lifetime: the TM rekeyed it, all sites on epoch "
          f"{after and after[0]} (was {before and before[0]})")
    alarms = json.loads(run(f"{CTL} --instance lab1 show alarms --json").stdout or "[]")
    check(any(a["kind"] == "SA_EXPIRED" and a["origin"] == "received" and a["peer"] == "lab2"
              for a in alarms), "the TM shows SA_EXPIRED received from lab2 "
          f"({[(a['kind'], a['origin'], a['peer']) for a in alarms]})")


def join_latency_ms(newcomer, joined):
    """From the first "peer lab<newcomer> JOIN" line at the other sites to the last site's line
    for the key of epoch joined[0] (logged as it is written to the fast path), on one clock."""
    if not joined:
        return None
    sites = range(1, newcomer + 1)
    logs = {s: open(f"{DIR}/controld{s}.log").read().splitlines() for s in sites}
    stamp = lambda line: float(line.rsplit("t=", 1)[1])  # noqa: E731
    found = [stamp(line) for s in sites if s != newcomer for line in logs[s]
             if f"peer lab{newcomer} JOIN" in line]
    keyed = [stamp(line) for s in sites for line in logs[s]
             if (m := KEY_LINE.search(line)) and m[1] == GROUP and int(m[2]) == joined[0]]
    if not found or len(keyed) < newcomer:
        return None
    return round((max(keyed) - min(found)) * 1000, 1)


def probe_site3(pcap, site=3):
    """For each ESP packet of the capture: how many of the keys site 3's region holds
    authenticate it (mcsec-key-probe tries each key whatever the packet's SPI)."""
    packets = esp_packets(pcap)
    r = subprocess.run([KEY_PROBE, "--instance", f"lab{site}"], capture_output=True, text=True,
                       input="".join(p.hex() + "\n" for p in packets))
    if r.returncode != 0:
        return packets, None
    return packets, [int(line.split()[1]) for line in r.stdout.splitlines()
                     if line.startswith("authenticated")]


def check_old_keys_fail(held_cap, left_cap):
    """The removed site cannot decrypt with its old keys, whatever the SPI: every key site 3
    still holds fails on every packet of the epoch after its leave, while the same keys do
    open the packets of the epoch it was a member of (so the probe itself works)."""
    packets, held = probe_site3(held_cap)
    check(held and len(held) == len(packets) >= 100 and all(n >= 1 for n in held),
          f"control: site 3's keys open the {len(packets)} ESP packets of its last epoch "
          f"({held and sum(1 for n in held if n)} opened)")

    packets, after = probe_site3(left_cap)
    check(after is not None and len(after) == len(packets) >= 100 and not any(after),
          f"none of site 3's old keys opens any of the {len(packets)} ESP packets sent after "
          f"its leave ({after and sum(1 for n in after if n)} opened)")


def check_private_group():
    """Group access with dataplanes: PRIVATE is keyed by sites 1 and 2 alone (its access list
    admits only them; site 3 does not protect it), its traffic reaches site 2 only, and on the
    black capture site 2's keys open every packet, site 3's none (whatever the SPI)."""
    agreed = wait_agreement(PRIVATE_SITES, 2, group=PRIVATE)
    check(agreed is not None, f"{PRIVATE} keyed by its two members only "
          f"(epoch {agreed and agreed[0]}; site 3: {latest_key(3, PRIVATE)})")
    if agreed is None:
        return
    time.sleep(1.0)  # activation delay
    pcap = f"{DIR}/black-private-group.pcap"
    cap = capture_start(pcap)
    deliver(1, (2,), absent=(3,), tag="private", group=PRIVATE)
    capture_stop(cap)
    packets, member = probe_site3(pcap, site=2)
    check(member and len(member) == len(packets) >= 100 and all(member),
          f"key probe: site 2's keys open all {len(packets)} ESP packets of {PRIVATE} "
          f"({member and sum(1 for n in member if n)} opened)")
    packets, outsider = probe_site3(pcap, site=3)
    check(outsider is not None and len(outsider) == len(packets) >= 100 and not any(outsider),
          f"key probe: none of site 3's keys opens any of the {len(packets)} ESP packets of "
          f"{PRIVATE}, a group it is not a member of ({outsider and sum(1 for n in outsider if n)}"
          f" opened)")



def main():
    preflight()
    r = run(f"{LAB} up --sites 4 --controld-sites 3 --keying mike --identity x509 --dir {DIR}")
    try:
        if r.returncode != 0:
            check(False, f"mcsec-lab up --keying mike --identity x509: {r.stderr[-1500:]}")
            return
        agreed = wait_agreement((1, 2, 3), 3)
        check(agreed is not None, f"three sites agreed one key without any key in their files "
              f"(epoch {agreed and agreed[0]}, after {agreed and round(agreed[2], 2)} s)")
        if agreed is None:
            return
        time.sleep(1.0)  # senders switch after the activation delay
        before = counters(4)
        deliver(1, (2, 3), absent=(4,))
        after = counters(4)
        check(after["drops"]["unknown_spi"] - before["drops"]["unknown_spi"] >= 100,
              "site 4, a box without keying, decrypts nothing (its dataplane: unknown_spi)")
        check_sender_ids()
        check_private_group()

        # The operator API: what mcsecctl shows, and a rekey started by the operator.
        peers = json.loads(run(f"{CTL} --instance lab1 show peers --json").stdout or "[]")
        check(sorted(p["node_id"] for p in peers if p["state"] == "up") == ["lab2", "lab3"],
              f"mcsecctl show peers: lab2 and lab3 up ({[p['node_id'] for p in peers]})")
        groups = json.loads(run(f"{CTL} --instance lab2 show groups --json").stdout or "[]")
        v4 = [g for g in groups if g["group"] == GROUP]
        check(v4 and v4[0]["state"] == "keyed" and v4[0]["tm"] == "lab1" and
              v4[0]["epoch"] == latest_key(2)[0] and sorted(v4[0]["members"]) ==
              ["lab1", "lab2", "lab3"], f"mcsecctl show groups on site 2: keyed, TM lab1, "
              f"epoch and members as agreed ({v4})")
        # Registration (seed 001): sites 2 and 3 registered with the TM over unicast.
        tm_groups = json.loads(run(f"{CTL} --instance lab1 show groups --json").stdout or "[]")
        reg = next((g["registration"] for g in tm_groups if g["group"] == GROUP), None) or {}
        check(reg.get("role") == "tm" and
              sorted(m["node_id"] for m in reg.get("members", [])) == ["lab2", "lab3"],
              f"mcsecctl show groups on the TM: lab2 and lab3 registered ({reg})")
        reg = v4[0].get("registration") if v4 else None
        check(reg and reg["role"] == "member" and reg["state"] == "registered" and
              reg["tm"] == "lab1", f"site 2 is registered with the TM lab1 ({reg})")
        sa_expired_rekeys_the_group()
        check_prefixes("after discovery")
        refused = run(f"{CTL} --instance lab2 rekey {GROUP}")
        check(refused.returncode == 1 and "transaction manager" in refused.stderr,
              "mcsecctl rekey on a member is refused: only the TM starts one")
        r = run(f"{CTL} --instance lab1 rekey {GROUP}")
        rekeyed = wait_agreement((1, 2, 3), 3, after_epoch=agreed[0])
        check(r.returncode == 0 and rekeyed is not None,
              f"mcsecctl rekey on the TM: all three sites moved to a new epoch "
              f"({rekeyed and rekeyed[0]})")
        agreed = rekeyed or agreed
        time.sleep(1.0)
        deliver(1, (2, 3), tag="after-rekey")

        # 1b. A new site joins: site 4's controld starts for the first time.
        lab("restart --site 4 --controld")
        joined4 = wait_agreement((1, 2, 3, 4), 4, after_epoch=agreed[0])
        check(joined4 is not None, f"new site 4 joined: all four sites share epoch "
              f"{joined4 and joined4[0]} ({joined4 and round(joined4[2], 2)} s after its start)")
        print(f"      join latency with dataplanes: {join_latency_ms(4, joined4)} ms from the "
              f"first member's discovery of site 4 to the 4-member key at the last site")
        time.sleep(1.0)
        deliver(1, (2, 3, 4), tag="site4-joined")
        deliver(4, (1, 2, 3), tag="from-site4")
        check_prefixes("after site 4 joined", sites=(2, 3, 4))
        lab("stop --site 4 --controld")
        without4 = wait_agreement((1, 2, 3), 3, after_epoch=joined4[0] if joined4 else 0)
        check(without4 is not None, f"site 4 left: sites 1-3 rekeyed without it "
              f"({without4 and round(without4[2], 2)} s)")
        agreed = without4 or agreed
        time.sleep(3.0)  # activation + deactivation: the 4-member SA is gone everywhere
        held_cap = f"{DIR}/black-site3-member.pcap"
        cap = capture_start(held_cap)
        deliver(1, (2, 3), absent=(4,), tag="site4-left")
        capture_stop(cap)

        # 2. Leave.
        lab("stop --site 3 --controld")
        left = wait_agreement((1, 2), 2, after_epoch=agreed[0])
        check(left is not None, f"sites 1 and 2 rekeyed without site 3 "
              f"({left and round(left[2], 2)} s after its controld stopped)")
        time.sleep(3.0)  # activation + deactivation: site 3's old SA is gone everywhere
        before = counters(3)
        left_cap = f"{DIR}/black-site3-removed.pcap"
        cap = capture_start(left_cap)
        deliver(1, (2,), absent=(3,), tag="after-leave")
        capture_stop(cap)
        after = counters(3)
        check(after["drops"]["unknown_spi"] - before["drops"]["unknown_spi"] >= 100,
              "site 3's dataplane, holding only the old key, cannot decrypt the new epoch "
              "(unknown_spi)")
        check_old_keys_fail(held_cap, left_cap)

        # 3. Join.
        lab("restart --site 3 --controld")
        joined = wait_agreement((1, 2, 3), 3, after_epoch=left[0] if left else 0)
        check(joined is not None, f"site 3 rejoined ({joined and round(joined[2], 2)} s)")
        time.sleep(1.0)
        deliver(1, (2, 3), tag="after-join")

        # 4. kill -9 and restart: a new startup timestamp, treated as a join.
        lab("restart --site 2 --controld --kill")
        again = wait_agreement((1, 2, 3), 3, after_epoch=joined[0] if joined else 0)
        check(again is not None, f"site 2 restarted after kill -9 and rejoined "
              f"({again and round(again[2], 2)} s)")
        time.sleep(1.0)
        deliver(1, (2, 3), tag="after-restart")
        check_prefixes("after site 2's restart")

        # 5. The TM dies while site 2 streams to site 3.
        count, rate = 2000, 400
        receiver = start_recv(3, GROUP, 15, expect=count)
        stream = send(2, GROUP, count, rate=rate, tag="tm-killed", wait=False)
        time.sleep(1.0)
        lab("stop --site 1 --controld --kill")
        survivors = wait_agreement((2, 3), 2, after_epoch=again[0] if again else 0)
        stream.communicate(timeout=60)
        got = finish_recv(receiver)["received"]
        check(survivors is not None, f"sites 2 and 3 elected a new TM and rekeyed "
              f"({survivors and round(survivors[2], 2)} s after the TM was killed)")
        check(got >= count * 0.99, f"the stream from site 2 to site 3 kept flowing through the "
              f"TM's death and the rekey ({got}/{count})")
    finally:
        if failures:  # the controld logs say what each site decided, and when
            for site in (1, 2, 3, 4):
                print(f"--- controld{site}.log (tail)")
                print(run(f"tail -n 12 {DIR}/controld{site}.log").stdout)
        run(f"{LAB} down --dir {DIR}")
        left_ns = run("ip netns list").stdout
        check("mcsec-" not in left_ns, "lab torn down: no mcsec namespaces left")
        shutil.rmtree(DIR, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all controld lab checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
