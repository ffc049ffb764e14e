#!/usr/bin/python3
"""Integration test (ctest label `integration`): a forged-datagram flood against a keyed swarm.

Ten mcsec-controld instances (--no-dataplane, X.509 under a lab CA made with tools/mcsec-pki,
hellos every 200 ms) in their own network namespaces on one black bridge agree on a group key.
Then an attacker in another namespace on the same bridge, holding a certificate of the same CA
(a certified stranger, "mallory"), runs tests/tools/control_flood.cpp: forged hellos claiming
the real nodes and unknown ones with random signatures, forged MIKE messages and one forged
hello replayed over and over, multicast to the discovery group from 16 addresses of its own,
at FLOOD_RATE datagrams a second for FLOOD_S seconds.

Pass: no peer goes down anywhere (no LEAVE line during the flood), all ten still hold one key,
the admission stage counted what it dropped, and a rekey after the flood still converges.
Prints each controld's CPU use during the flood (/proc/PID/stat), the hello loss (hellos
accepted vs expected), the kernel's receive drops on the discovery socket, and the admission
and failed-verification-cache counters.

Usage: controld_flood_test.py BUILD_DIR [FLOOD_RATE] [FLOOD_S] [INSTANCES]
(INSTANCES: 10 by default; fewer leave the sender more of a small box's CPU, since the kernel
copies every multicast datagram to each instance's namespace.)
Exit 77 (skipped) without root or namespaces.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from black_bridge import BlackBridge, Checks, run  # noqa: E402
import controld_swarm_test as swarm  # noqa: E402  (its controld config and key-line readers)

NET = BlackBridge("mcsec-fl")
ATTACKER_NS = f"{NET.prefix}-attacker"
N = 10
HELLO_S = 0.2  # swarm.controld_config's hello_interval_ms
ATTACKER_SOURCES = [f"198.18.0.{200 + k}" for k in range(16)]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEAVE_LINE = re.compile(r"peer (\S+) LEAVE .* t=([0-9.]+)")
check = Checks()


def ns(i):
    return NET.ns(i)


def address(i):
    return f"198.18.0.{i}"


def setup(work):
    NET.create()
    for i in range(1, N + 1):
        NET.add_port(ns(i), f"p{i}", [address(i)])
    NET.add_port(ATTACKER_NS, "pa", ATTACKER_SOURCES)
    tool = os.path.join(ROOT, "tools", "mcsec-pki")
    pki = os.path.join(work, "pki")
    run(f"{tool} ca {pki}")
    for name in [f"node{i:03d}" for i in range(1, N + 1)] + ["mallory"]:
        run(f"{tool} node {pki} {name}")
    return pki


def start(work, i, controld, pki):
    name = f"node{i:03d}"
    path = os.path.join(work, f"node{i}.toml")
    identity = (f'ca = "{pki}/ca.pem"\ncertificate = "{pki}/{name}.pem"\n'
                f'key = "{pki}/{name}.key"')
    with open(path, "w") as f:
        f.write(swarm.controld_config(name, i, f"10.0.{i}.1/24", f"{address(i)}/24", identity))
    log = open(os.path.join(work, f"node{i}.log"), "a")
    return subprocess.Popen(
        ["ip", "netns", "exec", ns(i), controld, "--config", path, "--state-dir", work,
         "--socket", os.path.join(work, f"node{i}.sock"), "--no-dataplane"],
        stdout=log, stderr=subprocess.STDOUT)


def counters(build, work, i):
    r = subprocess.run([os.path.join(build, "tools", "mcsecctl", "mcsecctl"), "--socket",
                        os.path.join(work, f"node{i}.sock"), "show", "control-counters",
                        "--json"], capture_output=True, text=True, timeout=20)
    return json.loads(r.stdout) if r.returncode == 0 else None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def udp_drops(i):
    """The kernel's drop count of the discovery socket (port 7400) in node i's namespace."""
    r = run(f"ip netns exec {ns(i)} cat /proc/net/udp", check_rc=False)
    for line in r.stdout.splitlines()[1:]:
        cols = line.split()
        if cols[1].endswith(":1CE8"):
            return int(cols[-1])
    return 0


def leaves(work, since):
    found = []
    for i in range(1, N + 1):
        with open(os.path.join(work, f"node{i}.log")) as f:
            for m in map(LEAVE_LINE.search, f):
                if m and float(m[2]) >= since:
                    found.append((f"node{i:03d}", m[1]))
    return found


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    flood_s = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    global N
    N = int(sys.argv[4]) if len(sys.argv) > 4 else N
    controld = os.path.join(build, "controlplane", "controld", "mcsec-controld")
    flood_tool = os.path.join(build, "tests", "mcsec-control-flood")
    if os.geteuid() != 0 or run("ip netns list", check_rc=False).returncode != 0:
        print("skipped: needs root and network namespaces")
        return 77
    NET.teardown()
    procs = []
    work = tempfile.mkdtemp(prefix="mcsec-flood-")
    try:
        pki = setup(work)
        procs = [start(work, i, controld, pki) for i in range(1, N + 1)]
        converged = swarm.wait_converged(work, range(1, N + 1), N, 40)
        check(converged is not None, f"{N} instances agreed one key before the flood "
              f"({converged and round(converged, 2)} s)")
        if converged is None:
            return 1
        time.sleep(2 * HELLO_S)  # every registration and ACK settled
        key_before = swarm.latest_keys(work, N)[1]

        before = {i: counters(build, work, i) for i in range(1, N + 1)}
        cpu_before = {i: cpu_seconds(procs[i - 1].pid) for i in range(1, N + 1)}
        drops_before = {i: udp_drops(i) for i in range(1, N + 1)}
        t_start = time.time()
        attack = subprocess.run(
            ["ip", "netns", "exec", ATTACKER_NS, flood_tool, "--group", "239.192.0.1",
             "--port", "7400", "--sources", ",".join(ATTACKER_SOURCES), "--rate", str(rate),
             "--seconds", str(flood_s), "--credential", os.path.join(pki, "mallory.pem"),
             "--real-ids", ",".join(f"node{i:03d}" for i in range(1, N + 1))],
            capture_output=True, text=True, timeout=flood_s + 30)
        t_end = time.time()
        cpu_after = {i: cpu_seconds(procs[i - 1].pid) for i in range(1, N + 1)}
        drops_after = {i: udp_drops(i) for i in range(1, N + 1)}
        after = {i: counters(build, work, i) for i in range(1, N + 1)}
        elapsed = t_end - t_start
        check(attack.returncode == 0, f"the attacker flooded: {attack.stdout.strip()} "
              f"{attack.stderr.strip()[-300:]}")

        gone = leaves(work, t_start)
        check(not gone, f"no peer went down during the flood ({len(gone)} LEAVE events"
              f"{': ' + str(gone[:5]) if gone else ''})")
        keys = swarm.latest_keys(work, N)
        check(len(set(keys.values())) == 1 and keys[1][2] == N,
              f"all {N} still hold one key of {N} members (epoch {keys[1][0]}, before "
              f"{key_before[0]})")
        check(all(p.poll() is None for p in procs), "every mcsec-controld still runs")

        print(f"     flood of {elapsed:.1f} s; per instance: CPU during the flood, hellos "
              f"accepted / expected ({N - 1} peers every {HELLO_S} s), kernel drops, admission")
        expected = (N - 1) * elapsed / HELLO_S
        losses, cpus = [], []
        totals = {}
        for i in range(1, N + 1):
            b, a = before[i], after[i]
            if a is None or b is None:
                check(False, f"node{i:03d} answered mcsecctl")
                continue
            accepted = (a["hello_verdicts"].get("accepted", 0) -
                        b["hello_verdicts"].get("accepted", 0))
            loss = max(0.0, 1 - accepted / expected)
            cpu = (cpu_after[i] - cpu_before[i]) / elapsed
            losses.append(loss)
            cpus.append(cpu)
            admission = {k: v - b.get("admission", {}).get(k, 0)
                         for k, v in a.get("admission", {}).items()
                         if isinstance(v, int) and k != "socket_receive_buffer_bytes"}
            for k, v in admission.items():
                totals[k] = totals.get(k, 0) + v
            cache = a.get("failed_verification_cache", {})
            print(f"     node{i:03d}: cpu {cpu * 100:5.1f}%  hellos {accepted:5d} / "
                  f"{expected:.0f} (loss {loss * 100:4.1f}%)  kernel drops "
                  f"{drops_after[i] - drops_before[i]:7d}  cache hits {cache.get('hits', 0):7d}  "
                  f"rcvbuf {a.get('admission', {}).get('socket_receive_buffer_bytes')}")
        print(f"     mean CPU {sum(cpus) / max(1, len(cpus)) * 100:.1f}% of a core per instance, "
              f"max {max(cpus, default=0) * 100:.1f}%; hello loss mean "
              f"{sum(losses) / max(1, len(losses)) * 100:.1f}%, max "
              f"{max(losses, default=0) * 100:.1f}%")
        print(f"     admission, all instances: {json.dumps(totals, sort_keys=True)}")
        check(totals.get("peer_address_mismatch", 0) > 0,
              "forged claims of real nodes were dropped before any signature work")
        check(totals.get("signature_budget_exhausted", 0) + totals.get("source_rate_limited", 0)
              > 0, "strangers' signature work was bounded (budget or source share)")
        check(totals.get("admitted_known_peer", 0) > 0, "the real peers' datagrams went through")

        # The swarm still works: the TM rekeys and everyone follows.
        epoch = swarm.latest_keys(work, N)[1][0]
        r = subprocess.run([os.path.join(build, "tools", "mcsecctl", "mcsecctl"), "--socket",
                            os.path.join(work, "node1.sock"), "rekey"],
                           capture_output=True, text=True, timeout=20)
        again = swarm.wait_converged(work, range(1, N + 1), N, 20, after_epoch=epoch)
        check(r.returncode == 0 and again is not None,
              f"a rekey after the flood converges ({again and round(again, 2)} s)")
    finally:
        NET.teardown(procs, grace_s=5)
        if os.environ.get("MCSEC_KEEP_WORK"):
            print(f"     kept {work}")
        else:
            subprocess.run(["rm", "-rf", work])
    return check.verdict()


if __name__ == "__main__":
    sys.exit(main())
