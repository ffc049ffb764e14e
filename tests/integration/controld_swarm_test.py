#!/usr/bin/python3
"""Integration test of MIKE without dataplanes (ctest label `integration`): N mcsec-controld
instances (--no-dataplane), each in its own network namespace with a veth `black0` on one
bridge, discover each other and converge on one group key: the same epoch and key check value
(KCV: never the key itself) with all N members. Optionally a share of the control datagrams is
dropped at every receiver (nftables `numgen random`), and they must still converge.

Then the TM stops gracefully (SIGTERM): it hands over, and the others converge without it.

Usage: controld_swarm_test.py BUILD_DIR N [DROP_PERCENT] [TIMEOUT_S] [SOFT_LIFETIME_S]
With SOFT_LIFETIME_S the policy's key lifetime is that short, and after converging the group
must rekey by itself (the TM on the soft lifetime) and converge again.
(perf/join_latency.py reuses its setup to measure join and leave latency.)
Prints the time from start to convergence. Exit 77 (skipped) without root or namespaces.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

PREFIX = "mcsec-sw"
BRIDGE_NS = f"{PREFIX}-br"
KEY_LINE = re.compile(r"group (\S+) epoch (\d+) key kcv ([0-9a-f]+) members (\d+)")
REGISTERED_LINE = re.compile(r"registration member_joined group \S+ peer (\S+)")


def run(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r


def controld_config(name, sender_id, red_prefix, black_prefix, identity, lifetime=""):
    """A controld config: one red and one black port (the black one named after the plain
    interface black0 of --no-dataplane), one protected group 239.1.1.1 keyed by MIKE, hellos
    every 200 ms. `identity`: the [identity] table's lines. (MIKE assigns the RFC 6054 sender
    IDs; the config's sender_id is what manual keying would use.)"""
    return f"""schema_version = 1
[instance]
name = "{name}"
sender_id = {sender_id}
[[ports]]
name = "red0"
role = "red"
device = "net_null0"
addresses = ["{red_prefix}"]
[[ports]]
name = "black0"
role = "black"
device = "net_null1"
addresses = ["{black_prefix}"]
[[policies]]
name = "p"
transform = "aes-gcm-256"
{lifetime}[[groups]]
address = "239.1.1.1"
policy = "p"
[identity]
{identity}
[discovery]
group = "239.192.0.1"
port = 7400
hello_interval_ms = 200
[keying]
mode = "mike"
"""


def config(i, work, soft_seconds=0):
    lifetime = (f"lifetime = {{ soft_seconds = {soft_seconds}, hard_seconds = "
                f"{soft_seconds * 10} }}\n" if soft_seconds else "")
    return controld_config(f"node{i:03d}", i, f"10.0.{i}.1/24",
                           f"198.18.{i // 250}.{i % 250 + 1}/16",
                           f'psk_file = "{work}/psk.key"', lifetime)


def latest_keys(work, n):
    """Per instance: its newest (epoch, kcv, members) line, or None."""
    keys = {}
    for i in range(1, n + 1):
        try:
            with open(os.path.join(work, f"node{i}.log")) as f:
                lines = [m for m in map(KEY_LINE.search, f) if m]
        except FileNotFoundError:
            lines = []
        keys[i] = (int(lines[-1][2]), lines[-1][3], int(lines[-1][4])) if lines else None
    return keys


def registered_members(work):
    """Members that registered with node001 (the TM: the smallest node id)."""
    try:
        with open(os.path.join(work, "node1.log")) as f:
            return {m[1] for m in map(REGISTERED_LINE.search, f) if m}
    except FileNotFoundError:
        return set()


def wait_registered(work, n, timeout):
    """Seconds until every other instance registered with the TM (registration, seed 001)."""
    t0 = time.time()
    expected = {f"node{i:03d}" for i in range(2, n + 1)}
    while time.time() - t0 < timeout:
        if expected <= registered_members(work):
            return time.time() - t0
        time.sleep(0.1)
    return None


def teardown():
    run(f"pkill -f 'mcsec-controld --config /tmp/mcsec-swarm'", check=False)
    for line in run("ip netns list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX):
            run(f"ip netns del {name}", check=False)


def setup(work, n, drop, soft_seconds=0):
    """The bridge namespace and n instance namespaces with their configs."""
    with open(os.path.join(work, "psk.key"), "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(os.path.join(work, "psk.key"), 0o600)
    run(f"ip netns add {BRIDGE_NS}")
    run(f"ip -n {BRIDGE_NS} link add br0 type bridge mcast_snooping 0")
    run(f"ip -n {BRIDGE_NS} link set br0 up")
    for i in range(1, n + 1):
        ns = f"{PREFIX}{i}"
        run(f"ip netns add {ns}")
        run(f"ip link add black0 netns {ns} type veth peer name p{i} netns {BRIDGE_NS}")
        run(f"ip -n {BRIDGE_NS} link set p{i} master br0 up")
        run(f"ip -n {ns} link set black0 up")
        run(f"ip -n {ns} addr add 198.18.{i // 250}.{i % 250 + 1}/16 dev black0")
        if drop:
            run(f"ip netns exec {ns} nft add table inet mcsec_loss")
            run(f"ip netns exec {ns} nft add chain inet mcsec_loss input "
                f"'{{ type filter hook input priority 0; }}'")
            run(f"ip netns exec {ns} nft add rule inet mcsec_loss input udp dport 7400 "
                f"numgen random mod 100 '<' {drop} drop")
        with open(os.path.join(work, f"node{i}.toml"), "w") as f:
            f.write(config(i, work, soft_seconds))


def start(work, i, controld):
    log = open(os.path.join(work, f"node{i}.log"), "a")
    return subprocess.Popen(
        ["ip", "netns", "exec", f"{PREFIX}{i}", controld, "--config",
         os.path.join(work, f"node{i}.toml"), "--state-dir", work, "--no-dataplane"],
        stdout=log, stderr=subprocess.STDOUT)


def wait_converged(work, nodes, members, timeout, after_epoch=0):
    """Seconds until every node in `nodes` holds one key of `members` members (newer than
    `after_epoch`), or None."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        keys = latest_keys(work, max(nodes))
        values = {keys[i] for i in nodes}
        if None not in values and len(values) == 1:
            epoch, _, count = next(iter(values))
            if count == members and epoch > after_epoch:
                return time.time() - t0
        time.sleep(0.05)
    return None


def stamp(line):
    return float(line.rsplit("t=", 1)[1])


def tm_hands_over(work, procs, n, drop):
    """A graceful TM stop: node001 (the TM, the smallest id) gets SIGTERM and hands over
    (HANDOVER, three identical copies). The others must converge on a key of n-1 members with
    node002 as TM; without loss, before any of them has even noticed node001's silence (its
    IDP LEAVE comes 4H after its last hello), which shows the handover did it, not an election
    after a death. With loss every copy may be lost; then the election must."""
    before = latest_keys(work, n)[2][0]
    procs[0].terminate()
    procs[0].wait(timeout=10)
    survivors = range(2, n + 1)
    converged = wait_converged(work, survivors, n - 1, 30, after_epoch=before)
    tm_lines, key_times, leave_times = [], [], []
    for i in survivors:
        with open(os.path.join(work, f"node{i}.log")) as f:
            lines = f.read().splitlines()
        keyed = [line for line in lines if (m := KEY_LINE.search(line)) and
                 int(m[2]) > before and int(m[4]) == n - 1]
        if keyed:
            key_times.append(stamp(keyed[0]))
            tm_lines.append(keyed[-1].split(" tm ")[1].split()[0])
        leave_times += [stamp(line) for line in lines if "peer node001 LEAVE" in line]
    ok = converged is not None and set(tm_lines) == {"node002"}
    handed = ok and (not leave_times or max(key_times) < min(leave_times))
    if drop == 0:
        ok = handed
    print(("ok    " if ok else "FAIL  ") + f"the TM stopped gracefully: the {n - 1} others "
          f"converged on a key of {n - 1} members under node002 "
          f"({converged and round(converged, 2)} s; "
          f"{'before' if handed else 'not before'} any of them saw node001 LEAVE)")
    return ok


def preflight(drop):
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        sys.exit(77)
    if run("ip netns add mcsec-probe && ip netns del mcsec-probe", check=False).returncode:
        print("SKIP: network namespaces are not allowed here")
        sys.exit(77)
    if drop and shutil.which("nft") is None:
        print("SKIP: nft missing (tools/install-deps.sh installs nftables)")
        sys.exit(77)


def main():
    build, n = sys.argv[1], int(sys.argv[2])
    drop = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    soft = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    controld = os.path.join(build, "controlplane", "controld", "mcsec-controld")
    preflight(drop)
    teardown()
    work = tempfile.mkdtemp(prefix="mcsec-swarm-")
    procs = []
    try:
        setup(work, n, drop, soft)
        t0 = time.time()
        procs = [start(work, i, controld) for i in range(1, n + 1)]
        converged = wait_converged(work, range(1, n + 1), n, timeout)
        converged_after = time.time() - t0
        keys = latest_keys(work, n)
        if soft and converged is not None:
            # The TM rekeys when the key reaches its soft lifetime; everyone follows.
            first = keys[1][0]
            again = wait_converged(work, range(1, n + 1), n, soft * 3 + 5, after_epoch=first)
            keys = latest_keys(work, n)
            print(("ok    " if again is not None else "FAIL  ") +
                  f"soft lifetime of {soft} s: rekeyed from epoch {first} to {keys[1][0]} "
                  f"{again and round(again, 2)} s after convergence (all {n} on one key)")
            converged = again and converged
        if converged is not None:
            # Every member registers with the TM over unicast (REGISTER, ACK); with 30% loss a
            # request may need its retransmissions or a retry after failure (10 s).
            registered = wait_registered(work, n, 40)
            missing = sorted({f"node{i:03d}" for i in range(2, n + 1)} - registered_members(work))
            print(("ok    " if registered is not None else "FAIL  ") +
                  f"{n - 1 - len(missing)} of {n - 1} members registered with the TM" +
                  (f" (missing {missing[:5]})" if missing else ""))
            converged = converged if registered is not None else None
        if converged is not None and not soft:
            converged = converged if tm_hands_over(work, procs, n, drop) else None
        crashed = [i for i, p in enumerate(procs[1:], 2) if p.poll() is not None]
        ok = converged is not None and not crashed
        summary = (f"{n} instances, {drop}% of control datagrams dropped: " +
                   (f"converged on one key (epoch {keys[1][0]}, {n} members) in "
                    f"{converged_after:.2f} s" if converged is not None else
                    f"NOT converged in {timeout:.0f} s: "
                    f"{sorted(set(keys.values()), key=str)[:5]}"))
        print(("ok    " if ok else "FAIL  ") + summary)
        if crashed:
            print(f"FAIL  instances exited: {crashed}")
        return 0 if ok else 1
    finally:
        stop_all(procs)
        teardown()
        shutil.rmtree(work, ignore_errors=True)


def stop_all(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()


if __name__ == "__main__":
    sys.exit(main())
