#!/usr/bin/python3
"""Join and leave latency of MIKE among mcsec-controld instances (no dataplanes), on this
machine, in network namespaces (root).

  perf/join_latency.py BUILD_DIR N [ROUNDS]

N-1 instances start and converge; then the N-th starts. Join latency = from the first moment
an existing member's discovery reports the newcomer (its "peer ... JOIN" log line) to the
moment the last of the N members logs the new N-member key (which is when it is installed).
Leave latency = after the N-th is killed (-9), from the first LEAVE line to the last of the
N-1 survivors' new key line. All timestamps come from one clock (the instances share the
machine). Repeated ROUNDS times; prints each round and the median.
"""
import os
import re
import signal
import statistics
import sys
import tempfile
import shutil
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import controld_swarm_test as swarm  # noqa: E402

EVENT = re.compile(r"peer (\S+) (JOIN|LEAVE) .* t=([0-9.]+)")
KEY = re.compile(r"group \S+ epoch (\d+) key kcv \S+ members (\d+) .* t=([0-9.]+)")


def log_lines(work, i):
    with open(os.path.join(work, f"node{i}.log")) as f:
        return f.read().splitlines()


def first_event(work, nodes, who, kind):
    times = []
    for i in nodes:
        for line in log_lines(work, i):
            m = EVENT.search(line)
            if m and m[1] == who and m[2] == kind:
                times.append(float(m[3]))
    return min(times) if times else None


def last_key_time(work, nodes, members, after):
    """When the last of `nodes` logged a `members`-member key after time `after`."""
    latest = []
    for i in nodes:
        times = [float(m[3]) for m in map(KEY.search, log_lines(work, i))
                 if m and int(m[2]) == members and float(m[3]) >= after]
        if not times:
            return None
        latest.append(min(times))
    return max(latest)


def one_round(build, n):
    controld = os.path.join(build, "controlplane", "controld", "mcsec-controld")
    work = tempfile.mkdtemp(prefix="mcsec-swarm-")
    procs = []
    try:
        swarm.setup(work, n, 0)
        procs = [swarm.start(work, i, controld) for i in range(1, n)]
        if swarm.wait_converged(work, range(1, n), n - 1, 60) is None:
            raise RuntimeError(f"{n - 1} instances did not converge")
        time.sleep(1.0)
        newcomer = f"node{n:03d}"
        procs.append(swarm.start(work, n, controld))
        if swarm.wait_converged(work, range(1, n + 1), n, 60) is None:
            raise RuntimeError("the newcomer was not keyed in")
        detected = first_event(work, range(1, n), newcomer, "JOIN")
        join = last_key_time(work, range(1, n + 1), n, detected) - detected
        time.sleep(1.0)
        procs[-1].send_signal(signal.SIGKILL)
        survivors = range(1, n)
        deadline = time.time() + 30
        while time.time() < deadline:
            left = first_event(work, survivors, newcomer, "LEAVE")
            done = left and last_key_time(work, survivors, n - 1, left)
            if done:
                break
            time.sleep(0.1)
        leave = done - left if left and done else None
        return join, leave
    finally:
        swarm.stop_all(procs)
        swarm.teardown()
        shutil.rmtree(work, ignore_errors=True)


def main():
    build, n = sys.argv[1], int(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    swarm.preflight(0)
    swarm.teardown()
    joins, leaves = [], []
    for r in range(rounds):
        join, leave = one_round(build, n)
        joins.append(join)
        if leave is not None:
            leaves.append(leave)
        print(f"round {r + 1}: join {join * 1000:.1f} ms, leave (after detection) "
              f"{leave * 1000 if leave is not None else float('nan'):.1f} ms", flush=True)
    print(f"{n} members: join median {statistics.median(joins) * 1000:.1f} ms "
          f"(min {min(joins) * 1000:.1f}, max {max(joins) * 1000:.1f}); leave median "
          f"{statistics.median(leaves) * 1000:.1f} ms over {rounds} rounds")


if __name__ == "__main__":
    main()
