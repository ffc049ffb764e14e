#!/usr/bin/python3
"""Integration test (ctest label `integration`): group access control across a deployment of
real mcsec-controld processes (--no-dataplane, X.509 under one lab CA), each in its own network
namespace on one black bridge.

Five boxes, three protected groups with different member lists (docs/protocol/mike.md, "Group
access"):
    G1 239.1.1.1  members ga2 ga3 ga4           (node ids)           TM ga2
    G2 239.1.1.2  members ou:blue               (ga3 ga4 ga5 have it) TM ga3
    G3 239.1.1.3  members ga4 ga5, senders ga5  (ga4 receive-only)    TM ga5
ga1, the smallest node id of the deployment, protects none of them. Two certified strangers
(certificates of the same CA, no OU blue) go after G2:
    ga6  a real mcsec-controld whose own config lets it into G2: it announces G2 and asks to
         join like any member;
    ga7  mcsec-control-stranger: announces G2, then sends correctly signed attacks: a MIKE
         JOIN_REQUEST claiming epoch 2^64-1 (the epoch freeze), a plain JOIN_REQUEST, a
         REGISTER and an SA_EXPIRED alarm naming G2's SPI (a forced rekey) to G2's TM.
Checks:
  - every group is keyed by its own TM (its smallest allowed sender), and nothing waits for ga1;
  - each box holds exactly the keys of its own groups: every key line (epoch, key check value;
    never the key) per box and group, no key for any other group, none at all at ga1 and ga6;
    the members of G2's key never include ga6 or ga7;
  - the receive-only member of G3 gets the key, says so at start-up, and is never G3's TM;
  - the strangers' announcements raise ACCESS_VIOLATION naming them, at every member of G2;
  - the attacks fail and are counted: the epoch never leaves small numbers, the SA_EXPIRED and
    REGISTER are refused as not_member, no rekey follows them, and an operator rekey still
    moves G2 to the next epoch.
Usage: controld_group_access_test.py BUILD_DIR. Exit 77 (skipped) without root or namespaces.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from black_bridge import BlackBridge, Checks, run

NET = BlackBridge("mcsec-ga")
DISCOVERY = ("239.192.0.1", 7400)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEY_LINE = re.compile(r"group (\S+) epoch (\d+) key kcv ([0-9a-f]+) members (\d+)")
G1, G2, G3 = "239.1.1.1", "239.1.1.2", "239.1.1.3"
ACCESS = {
    G1: 'members = ["ga2", "ga3", "ga4"]',
    G2: 'members = ["ou:blue"]',
    G3: 'members = ["ga4", "ga5"]\nsenders = ["ga5"]',
}
GROUPS_OF = {1: [], 2: [G1], 3: [G1, G2], 4: [G1, G2, G3], 5: [G2, G3]}
EXPECTED_TM = {G1: "ga2", G2: "ga3", G3: "ga5"}
BLUE = (3, 4, 5)
check = Checks()


def ns(i):
    return NET.ns(i)


def address(i):
    return f"198.18.0.{i}"


def config(i, pki, groups, access):
    group_tables = "".join(
        f'[[groups]]\naddress = "{g}"\npolicy = "p"\n{access[g]}\n' for g in groups)
    if not groups:
        # A box with no keyed group: it still discovers its peers (and is the smallest id).
        group_tables = '[[groups]]\naddress = "239.9.9.9"\naction = "bypass"\n'
    return f"""schema_version = 1
[instance]
name = "ga{i}"
sender_id = {i}
[[ports]]
name = "red0"
role = "red"
device = "net_null0"
addresses = ["10.0.{i}.1/24"]
[[ports]]
name = "black0"
role = "black"
device = "net_null1"
addresses = ["{address(i)}/24"]
[[policies]]
name = "p"
transform = "aes-gcm-256"
{group_tables}[identity]
ca = "{pki}/ca.pem"
certificate = "{pki}/ga{i}.pem"
key = "{pki}/ga{i}.key"
[discovery]
group = "{DISCOVERY[0]}"
port = {DISCOVERY[1]}
hello_interval_ms = 200
[keying]
mode = "mike"
"""


def start(build, work, i, text):
    path = os.path.join(work, f"ga{i}.toml")
    with open(path, "w") as f:
        f.write(text)
    log = open(os.path.join(work, f"ga{i}.log"), "a")
    controld = os.path.join(build, "controlplane", "controld", "mcsec-controld")
    return subprocess.Popen(
        ["ip", "netns", "exec", ns(i), controld, "--config", path, "--state-dir", work,
         "--socket", os.path.join(work, f"ga{i}.sock"), "--no-dataplane"],
        stdout=log, stderr=subprocess.STDOUT)


def key_lines(work, i):
    """Every (group, epoch, kcv, members) box i's controld logged."""
    try:
        with open(os.path.join(work, f"ga{i}.log")) as f:
            return [(m[1], int(m[2]), m[3], int(m[4])) for m in map(KEY_LINE.search, f) if m]
    except FileNotFoundError:
        return []


def latest(work, i, group):
    found = [k for k in key_lines(work, i) if k[0] == group]
    return found[-1][1:] if found else None


def boxes_of(group):
    return [i for i, groups in GROUPS_OF.items() if group in groups]


def agreed(work, group, after_epoch=0):
    keys = [latest(work, i, group) for i in boxes_of(group)]
    if any(k is None for k in keys) or len(set(keys)) != 1:
        return None
    epoch, _, members = keys[0]
    return keys[0] if members == len(boxes_of(group)) and epoch > after_epoch else None


def wait_for(predicate, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def ctl(build, work, i, *args):
    return subprocess.run([os.path.join(build, "tools", "mcsecctl", "mcsecctl"), "--socket",
                           os.path.join(work, f"ga{i}.sock"), *args],
                          capture_output=True, text=True)


def show(build, work, i, what):
    r = ctl(build, work, i, "show", what, "--json")
    if r.returncode != 0:
        raise RuntimeError(f"ga{i}: mcsecctl show {what}: {r.stderr}")
    return json.loads(r.stdout)


def group_view(build, work, i, group):
    return next(g for g in show(build, work, i, "groups") if g["group"] == group)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0 or run("ip netns list", check_rc=False).returncode != 0:
        print("skipped: needs root and network namespaces")
        return 77
    NET.teardown()
    procs = []
    work = tempfile.mkdtemp(prefix="mcsec-group-access-")
    try:
        NET.create()
        for i in range(1, 8):
            NET.add_port(ns(i), f"p{i}", [address(i)])
        pki = os.path.join(work, "pki")
        tool = os.path.join(ROOT, "tools", "mcsec-pki")
        run(f"{tool} ca {pki}")
        for i in range(1, 8):
            run(f"{tool} node {pki} ga{i}" + (" --ou blue" if i in BLUE else "") +
                (" --ou red" if i == 6 else ""))

        t0 = time.time()
        for i in range(1, 6):
            procs.append(start(build, work, i, config(i, pki, GROUPS_OF[i], ACCESS)))
        all_keyed = wait_for(lambda: all(agreed(work, g) for g in (G1, G2, G3)), 30)
        check(bool(all_keyed), f"all three groups keyed, each by all its boxes "
              f"({time.time() - t0:.1f} s after start; ga1, the smallest id, serves none)")
        for group, tm in EXPECTED_TM.items():
            views = {i: group_view(build, work, i, group) for i in boxes_of(group)}
            check(all(v["tm"] == tm for v in views.values()) and views[int(tm[2:])]["role"] == "tm",
                  f"group {group} is keyed by its own TM {tm}: "
                  f"{ {f'ga{i}': v['tm'] for i, v in views.items()} }")
            phases = {f"ga{i}": v["phase"] for i, v in views.items()}
            check(all(p == "keyed" for box, p in phases.items() if box != tm) and
                  phases[tm] in ("tm_stable", "tm_awaiting_acks"),
                  f"group {group}: its TM in a TM phase, every other member keyed ({phases})")
        with open(os.path.join(work, "ga4.log")) as f:
            ga4_log = f.read()
        check(f"group {G3}: receive-only here" in ga4_log,
              "ga4 says at start-up that it is receive-only in G3")

        # The strangers: ga6 (controld with a config that lets itself in) and ga7 (the tool).
        stranger_access = dict(ACCESS)
        stranger_access[G2] = 'members = ["ou:blue", "ga6"]'
        procs.append(start(build, work, 6, config(6, pki, [G2], stranger_access)))
        before = show(build, work, 3, "control-counters")
        g2 = group_view(build, work, 3, G2)
        epoch_before_attack = g2["epoch"]
        stranger = subprocess.run(
            ["ip", "netns", "exec", ns(7), os.path.join(build, "tests", "mcsec-control-stranger"),
             "--ca", f"{pki}/ca.pem", "--cert", f"{pki}/ga7.pem", "--key", f"{pki}/ga7.key",
             "--name", "ga7", "--address", address(7),
             "--discovery", f"{DISCOVERY[0]}:{DISCOVERY[1]}", "--serve", G2, "--hello-ms", "200",
             "--seconds", "4", "--attack-after", "2", "--tm-address", address(3), "--tm", "ga3",
             "--spi", str(g2["spi"] or 0)],
            capture_output=True, text=True, timeout=30)
        check(stranger.returncode == 0 and stranger.stdout.count("sent ") == 4,
              f"ga7 announced G2 and sent its 4 signed attacks: {stranger.stdout.strip()!r} "
              f"{stranger.stderr.strip()[-300:]}")
        time.sleep(1.5)

        # Alarms naming each stranger at every member of G2.
        for i in boxes_of(G2):
            alarms = show(build, work, i, "alarms")
            named = {a["peer"] for a in alarms if a["kind"] == "ACCESS_VIOLATION"}
            check({"ga6", "ga7"} <= named,
                  f"ga{i}: ACCESS_VIOLATION names both strangers ({sorted(named)})")
        sample = next((a for a in show(build, work, 3, "alarms")
                       if a["kind"] == "ACCESS_VIOLATION" and a["peer"] == "ga6"), None)
        if sample:
            print(f"     {sample['kind']} {sample['peer']}: {sample['detail']}")

        after = show(build, work, 3, "control-counters")

        def delta(path):
            a, b = after, before
            for p in path.split("/"):
                a = a.get(p, 0) if isinstance(a, dict) else 0
                b = b.get(p, 0) if isinstance(b, dict) else 0
            return (a or 0) - (b or 0)

        check(delta("refused_announcements") >= 2,
              f"ga3 counted the refused announcements (+{delta('refused_announcements')})")
        check(delta(f"mike/{G2}/received/unknown_sender") >= 2,
              f"G2's TM refused the strangers' MIKE messages, the epoch freeze included, as from "
              f"no member (+{delta(f'mike/{G2}/received/unknown_sender')} unknown_sender)")
        check(delta("registration/tm/not_member") >= 2,
              f"the TM refused the strangers' REGISTER and SA_EXPIRED as not_member "
              f"(+{delta('registration/tm/not_member')}) before any signature check")
        check(after["alarms"].get("SA_EXPIRED", {}).get("raised", 0) ==
              before["alarms"].get("SA_EXPIRED", {}).get("raised", 0),
              "no SA_EXPIRED alarm was taken from a stranger")
        g2_now = group_view(build, work, 3, G2)
        check(g2_now["epoch"] == epoch_before_attack and agreed(work, G2),
              f"no forced rekey: G2 stays at epoch {epoch_before_attack} "
              f"(now {g2_now['epoch']}) with its 3 members")
        check(not any(k[1] >= 2 ** 32 for i in range(1, 6) for k in key_lines(work, i)),
              "no box ever reached an epoch near the 64-bit limit")

        # An operator rekey of G2 still moves it to the next epoch.
        r = ctl(build, work, 3, "rekey", G2)
        next_key = wait_for(lambda: agreed(work, G2, after_epoch=epoch_before_attack), 15)
        check(r.returncode == 0 and next_key and next_key[0] == epoch_before_attack + 1,
              f"an operator rekey moves G2 to epoch {epoch_before_attack + 1} "
              f"(got {next_key and next_key[0]})")

        # Each box holds exactly the keys of its groups; the strangers none.
        for i in range(1, 7):
            held = {k[0] for k in key_lines(work, i)}
            want = set(GROUPS_OF.get(i, []))
            check(held == want, f"ga{i} holds keys of exactly {sorted(want) or 'no group'} "
                  f"(logged keys for {sorted(held) or 'none'})")
        members = set()
        for i in boxes_of(G2):
            members |= set(group_view(build, work, i, G2)["members"])
        check(members == {"ga3", "ga4", "ga5"},
              f"G2's key is shared by ga3, ga4, ga5 only ({sorted(members)})")
        check(group_view(build, work, 4, G3)["role"] != "tm" and latest(work, 4, G3),
              "receive-only ga4 holds G3's key and is not its TM")
        unlisted = {f"ga{i}": sum(m["unlisted_transitions"]
                                   for m in show(build, work, i, "control-counters")["mike"].values())
                    for i in range(1, 6)}
        check(not any(unlisted.values()),
              f"every MIKE phase change on every box is in mike.md's transition table ({unlisted})")
        check(all(p.poll() is None for p in procs), "every mcsec-controld still runs")
    finally:
        NET.teardown(procs)
        subprocess.run(["rm", "-rf", work])
    return check.verdict()


if __name__ == "__main__":
    sys.exit(main())
