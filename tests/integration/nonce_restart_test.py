#!/usr/bin/python3
"""Integration test of nonce safety across restarts (issue 11 point 2; ctest label
`integration`): a dataplane with a manual key sends red traffic and is "rebooted" ten times
under traffic: killed with SIGKILL (every third round stopped cleanly instead), its
shared-memory region and DPDK runtime files deleted (what a reboot does to /dev/shm and /run),
its state directory kept. Everything that leaves the black port, over all runs, is captured:
no (SPI, IV) pair, and no IV under one key, may ever repeat.

In the fifth run, with traffic flowing, it also checks the SA writer rules through mcsecctl:
a second writer is refused while another process holds the role (naming its pid), an SA with
the running SA's key under another SPI is refused, and the same key added again once the first
SA is retired continues above every number the first one could have used.

Last, a state directory on a read-only file system: the dataplane starts, says why it cannot
keep its nonce ledger, and sends nothing on its outbound SA (fail closed).

Red and black ports are net_af_packet on veth pairs in a network namespace of its own; dumpcap
captures the black side there (complete even when the dataplane is killed). About 30 s.

Usage: nonce_restart_test.py BUILD_DIR     (exit 77 = skipped: not root, or tools missing)
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1])
DP = os.path.join(BUILD, "dataplane", "dpdk", "mcsec-dataplane")
CTL = os.path.join(BUILD, "tools", "mcsecctl", "mcsecctl")
HOLD = os.path.join(BUILD, "tests", "mcsec-writer-hold")
NS = "mcsec-nonce"
INSTANCE = "nonce-reboot"
ROUNDS = 10
BLOCK = 1 << 22        # dataplane/core seq_reserver.hpp kSeqReserveBlock
RATE = 3000            # red packets per second
# PUBLIC test keys (AES-128 key || 4-byte salt): never use them for anything else.
KEY = "00112233445566778899aabbccddeeff" + "cafebabe"
KEY2 = "ffeeddccbbaa99887766554433221100" + "0badf00d"
SPI, SPI2, SPI3 = 0x1000, 0x2000, 0x3000

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(cmd):
    return subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True)


if os.geteuid() != 0:
    print("SKIP: needs root (network namespaces, DPDK)")
    sys.exit(77)
for tool in ("dumpcap", "tshark"):
    if shutil.which(tool) is None:
        print(f"SKIP: {tool} missing")
        sys.exit(77)
if run(f"ip netns add {NS}-probe && ip netns del {NS}-probe").returncode != 0:
    print("SKIP: network namespaces are not allowed here")
    sys.exit(77)

work = tempfile.mkdtemp(prefix="mcsec-nonce-")
STATE = os.path.join(work, "state")
procs = []


def config(state_dir):
    return f"""schema_version = 1
[instance]
name = "{INSTANCE}"
sender_id = 1
state_dir = "{state_dir}"

[[ports]]
name = "red0"
role = "red"
device = "net_af_packet0,iface=nr1,framecnt=4096"

[[ports]]
name = "black0"
role = "black"
device = "net_af_packet1,iface=nb1,framecnt=4096"
addresses = ["192.0.2.1/24"]

[dataplane]
hugepages = false
memory_mb = 64
idle_sleep_us = 50
idle_polls = 32
exception_path = "none"
query_interval_s = 0

[[policies]]
name = "gcm128"
transform = "aes-gcm-128"
esn = false   # tshark (no ESN setting) checks every ICV of the capture

[[groups]]
address = "239.1.1.1"
black_group = "239.255.1.1"
policy = "gcm128"

[identity]
psk_file = "unused.key"

[keying]
mode = "manual"

[[manual_sas]]
group = "239.1.1.1"
spi = {SPI}
key_hex = "{KEY}"
"""


def write_config(name, state_dir):
    path = os.path.join(work, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds a key
    with os.fdopen(fd, "w") as f:
        f.write(config(state_dir))
    return path


# The red host: raw UDP multicast frames at RATE per second, until killed.
SENDER = r"""
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind(("nr0", 0))
frames = []
for i in range(256):
    payload = b"nonce-restart %06d " % i + bytes(40)
    udp = struct.pack("!HHHH", 40000, 40001, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 9, 17, 0,
                     bytes([10, 1, 0, 10]), bytes([239, 1, 1, 1]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frames.append(bytes.fromhex("01005e010101020000000001") + b"\x08\x00" + ip + udp)
rate, t0, n = int(sys.argv[1]), time.time(), 0
while True:
    while n < int((time.time() - t0) * rate):
        try:
            sock.send(frames[n % 256])
        except OSError:
            pass
        n += 1
    time.sleep(0.005)
"""


def reboot_cleanup():
    """What a reboot does to the appliance's volatile state: /dev/shm and /run are empty."""
    run(["rm", "-f", f"/dev/shm/mcsec.{INSTANCE}"])
    run(["rm", "-rf", f"/var/run/dpdk/mcsec-{INSTANCE}"])


def start_dataplane(conf, log_path):
    log = open(log_path, "w")
    # `ip netns exec` execs the dataplane: signals reach it directly.
    p = subprocess.Popen(["ip", "netns", "exec", NS, DP, "--config", conf], cwd=work,
                         stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(log_path) as f:
            if "forwarding on" in f.read():
                return p, True
        if p.poll() is not None:
            break
        time.sleep(0.05)
    return p, False


def ctl(conf, *args):
    return run([CTL, "--config", conf] + " ".join(args).split())


def read_pcap(path):
    """The ESP payloads of a classic little-endian pcap; a truncated last record is ignored."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        raise RuntimeError(f"{path}: not a little-endian classic pcap")
    out, at = [], 24
    while at + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, at + 8)[0]
        if at + 16 + caplen > len(data):
            break
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        ip = frame[14:]
        if frame[12:14] == b"\x08\x00" and len(ip) >= 20 and ip[9] == 50:
            esp = ip[(ip[0] & 15) * 4:]
            if len(esp) >= 16:
                out.append(esp)
    return out


def writer_rules(conf):
    """Run with the dataplane up and traffic flowing on SPI (the config's manual SA)."""
    hold = subprocess.Popen([HOLD, "--instance", INSTANCE], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(hold)
    line = hold.stdout.readline().strip()
    check(line == f"holding pid {hold.pid}", f"a test process holds the SA writer role ({line!r})")
    r = ctl(conf, "sa add --group 239.1.1.1", f"--spi {SPI2}", f"--key {KEY2}")
    check(r.returncode != 0 and "refused" in r.stderr and f"pid {hold.pid}" in r.stderr,
          f"mcsecctl sa add is refused while another writer holds the role, naming its pid "
          f"(rc {r.returncode}: {r.stderr.strip()})")
    hold.stdin.close()
    hold.wait(timeout=10)
    r = ctl(conf, "sa add --group 239.1.1.1", f"--spi {SPI3}", f"--key {KEY}")
    check(r.returncode != 0 and "same key, salt and sender ID" in r.stderr,
          f"the running SA's key under another SPI is refused ({r.stderr.strip()})")
    check(KEY[:16] not in r.stderr, "the refusal does not show the key")
    r = ctl(conf, "--json sa add --group 239.1.1.1", f"--spi {SPI2}", f"--key {KEY2}")
    added = json.loads(r.stdout) if r.returncode == 0 else {}
    check(added.get("reserved") is True,
          f"once the writer is gone, sa add works and the dataplane reserves the new SA's "
          f"sequence numbers ({r.stdout.strip()} {r.stderr.strip()})")
    check(ctl(conf, "sa switch --group 239.1.1.1", f"--spi {SPI2}").returncode == 0,
          "sa switch to the new SA")
    time.sleep(0.3)
    r = ctl(conf, "sa retire --group 239.1.1.1", f"--spi {SPI}")
    check(r.returncode == 0, f"sa retire of the manual SA ({r.stdout.strip()})")
    # An earlier key comes back (what `mcsecctl sa add` with an old key does): its nonce space
    # continues in the ledger above everything the retired SA could have sent.
    r = ctl(conf, "--json sa add --group 239.1.1.1", f"--spi {SPI3}", f"--key {KEY}")
    added = json.loads(r.stdout) if r.returncode == 0 else {}
    check(added.get("reserved") is True, f"the earlier key under SPI {SPI3:#x} is accepted now "
          f"that its SA is retired ({r.stdout.strip()} {r.stderr.strip()})")
    check(ctl(conf, "sa switch --group 239.1.1.1", f"--spi {SPI3}").returncode == 0,
          "sa switch to it")
    time.sleep(0.3)


def main():
    t_start = time.time()
    run(f"ip netns del {NS}")
    for cmd in (f"ip netns add {NS}", f"ip -n {NS} link set lo up",
                f"ip -n {NS} link add nr0 type veth peer name nr1",
                f"ip -n {NS} link add nb0 type veth peer name nb1",
                f"ip netns exec {NS} sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
                f"ip netns exec {NS} sysctl -qw net.ipv6.conf.default.disable_ipv6=1"):
        r = run(cmd)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd}: {r.stderr}")
    for dev in ("nr0", "nr1", "nb0", "nb1"):
        run(f"ip netns exec {NS} sysctl -qw net.ipv6.conf.{dev}.disable_ipv6=1")
        run(f"ip -n {NS} link set {dev} arp off up")
    conf = write_config("nonce.toml", STATE)
    check(os.stat(conf).st_mode & 0o777 == 0o600, "the generated config (it holds a key) is 0600")

    cap = os.path.join(work, "black.pcap")
    dumpcap = subprocess.Popen(["ip", "netns", "exec", NS, "dumpcap", "-q", "-P", "-i", "nb0",
                                "-f", "ip proto 50", "-w", cap],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(dumpcap)
    time.sleep(1.0)
    sender = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c", SENDER,
                               str(RATE)])
    procs.append(sender)

    started = 0
    for r in range(ROUNDS):
        reboot_cleanup()
        p, up = start_dataplane(conf, os.path.join(work, f"run{r}.log"))
        started += up
        if not up:
            with open(os.path.join(work, f"run{r}.log")) as f:
                print(f.read()[-2000:])
        time.sleep(0.6)  # traffic
        if r == 4 and up:
            writer_rules(conf)
        if r % 3 == 2:
            p.send_signal(signal.SIGTERM)  # a clean stop
        else:
            p.kill()  # power cut, OOM killer, kill -9
        p.wait(timeout=20)
    check(started == ROUNDS, f"the dataplane started {started} of {ROUNDS} times")
    with open(os.path.join(work, "run0.log")) as f:
        log0 = f.read()
    check(f"nonce ledger {STATE}/{INSTANCE}: 1 of 1 outbound SAs reserved" in log0,
          "the manual key's numbers were reserved before forwarding started")
    ledger = os.path.join(STATE, INSTANCE)
    check(os.stat(STATE).st_mode & 0o777 == 0o700 and os.stat(ledger).st_mode & 0o777 == 0o700,
          "state directory and ledger directory are 0700")
    files = [f for f in os.listdir(ledger) if f.startswith("nonce-")]
    check(files and all(os.stat(os.path.join(ledger, f)).st_mode & 0o777 == 0o600
                        for f in files), f"ledger files are 0600 ({len(files)})")
    check(not any(KEY[:32] in f or KEY[:32] in open(os.path.join(ledger, f)).read()
                  for f in files), "no ledger file name or content holds the key")

    time.sleep(0.5)
    sender.terminate()
    dumpcap.terminate()
    dumpcap.wait(timeout=10)

    esp = read_pcap(cap)
    pairs = [(e[0:4], e[8:16]) for e in esp]
    check(len(esp) > ROUNDS * 200, f"captured {len(esp)} ESP packets over {ROUNDS} runs")
    check(len(set(pairs)) == len(pairs),
          f"no (SPI, IV) pair repeats across all runs ({len(pairs) - len(set(pairs))} repeated)")
    by_key = {}
    for e in esp:
        spi = struct.unpack("!I", e[0:4])[0]
        iv = struct.unpack("!Q", e[8:16])[0]
        by_key.setdefault(KEY2 if spi == SPI2 else KEY, []).append((spi, iv))
    for key, ivs in by_key.items():
        counters = [iv for _, iv in ivs]
        check(len(set(counters)) == len(counters),
              f"key {key[:4]}...: no IV repeats, whatever the SPI ({len(counters)} packets)")
        check(all(a < b for a, b in zip(counters, counters[1:])),
              f"key {key[:4]}...: IVs only grow, across every restart")
    blocks = {(iv & ((1 << 48) - 1)) // BLOCK for spi, iv in by_key.get(KEY, []) if spi == SPI}
    check(len(blocks) == ROUNDS, f"every run of SPI {SPI:#x} sent, each in a block of its own "
          f"({sorted(blocks)})")
    check(any(spi == SPI3 for spi, _ in by_key.get(KEY, [])) and KEY2 in by_key,
          "traffic went out on the SAs added with mcsecctl")
    # An independent implementation checks every ICV with the two keys.
    uat = [f'uat:esp_sa:"IPv4","*","*","{spi:#010x}","AES-GCM with 16 octet ICV [RFC4106]",'
           f'"0x{key}","NULL",""' for spi, key in ((SPI, KEY), (SPI2, KEY2), (SPI3, KEY))]
    args = ["tshark", "-r", cap, "-o", "esp.enable_encryption_decode:TRUE", "-o",
            "esp.enable_authentication_check:TRUE"]
    for u in uat:
        args += ["-o", u]
    r = run(args + ["-T", "fields", "-e", "esp.icv_good"])
    good = sum(1 for line in r.stdout.split() if line in ("1", "True"))
    check(good == len(esp), f"tshark verifies every ICV ({good}/{len(esp)})")

    # Fail closed: a state directory that cannot be written.
    reboot_cleanup()
    ro = os.path.join(work, "ro")
    os.makedirs(ro)
    mounted = run(f"mount -t tmpfs -o ro,size=1m tmpfs {ro}").returncode == 0
    if mounted:
        bad_state, reason = os.path.join(ro, "state"), "Read-only file system"
    else:  # no mount allowed here: a state directory below a regular file
        open(os.path.join(work, "file"), "w").close()
        bad_state, reason = os.path.join(work, "file", "state"), "Not a directory"
    conf_ro = write_config("read-only.toml", bad_state)
    sender = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c", SENDER,
                               str(RATE)])
    procs.append(sender)
    p, up = start_dataplane(conf_ro, os.path.join(work, "ro.log"))
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=20)
    sender.terminate()
    if mounted:
        run(f"umount {ro}")
    with open(os.path.join(work, "ro.log")) as f:
        log = f.read()
    print("\n".join(l for l in log.splitlines() if "nonce" in l or "NOT" in l or "drop" in l))
    check(up, "the dataplane starts with an unusable state directory (inbound keeps working)")
    check(f"nonce ledger: cannot create {bad_state}: {reason}" in log,
          f"it names the directory and the reason ({reason})")
    check("outbound SAs will NOT send (fail closed)" in log, "it says it fails closed")
    m = re.search(r"red rx (\d+) tx \d+, black rx \d+ tx (\d+)", log)
    dropped = re.search(r"drop seq_not_reserved\s+(\d+)", log)
    check(m is not None and int(m.group(1)) > 0 and int(m.group(2)) == 0 and dropped is not None,
          f"red traffic arrived and nothing left the black port "
          f"({m.group(0) if m else 'no summary'}; seq_not_reserved "
          f"{dropped.group(1) if dropped else 0})")
    print(f"({time.time() - t_start:.1f} s)")


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    run(f"umount {os.path.join(work, 'ro')}")
    run(f"ip netns del {NS}")
    reboot_cleanup()
    shutil.rmtree(work, ignore_errors=True)
print(f"{len(failures)} failed" if failures else "all nonce restart checks passed")
sys.exit(1 if failures else 0)
