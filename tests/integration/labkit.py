"""Shared helpers of the lab integration tests: results, shell, namespaces, the red hosts'
multicast sender/receiver (tools/lab/mcast.py) and the appliances' counters."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

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
