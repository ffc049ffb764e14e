#!/usr/bin/python3
"""Integration test (ctest label `integration`) of issue 11 point 3 end to end: one
mcsec-dataplane with two lcores whose black port runs two rx queues (net_af_packet qpairs=2,
rx_queues = 2: the kernel hashes each outer flow to one of two sockets), fed from an attacker's
namespace with

  (a) valid ESP for the group (scapy's SecurityAssociation, AES-GCM, IV = sender ID || counter)
      from 4 senders, each from its own outer source;
  (b) a copy of every valid packet from another outer source (so copies land on the other
      queue: the same sender window used by both lcores);
  (c) forgeries: a valid packet with its SPI kept and a forged sender ID written into its IV
      (the attack of issue 11), or with the ICV flipped for a real sender and a sequence number
      far ahead, from hundreds of outer sources.

Checks: both lcores received black traffic; every forgery is counted as icv_mismatch, every copy
as replay; each valid (sender, sequence) reaches the red namespace exactly once; the process is
alive at the end and stops cleanly on SIGTERM.

Usage: rss_forged_senders_test.py BUILD_DIR     (exit 77 = skipped: not root / no netns)
The same file is its own helper inside the namespaces (--send / --recv, plain sockets).
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

GROUP, BLACK_GROUP, SPI = "239.1.1.1", "239.255.1.1", 0x1000
KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308cafebabe")  # key || salt (test vector)
INSTANCE = "rssforged"
NS_APP, NS_RED, NS_BLK = "mrss-app", "mrss-red", "mrss-blk"
SENDERS = [2, 3, 4, 5]   # the dataplane itself is sender 1
PER_SENDER = 40
FORGED = 600


def helper_send(ifname, path):
    """In the attacker's namespace: send the frames of `path` (one hex line each)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    with open(path) as f:
        frames = [bytes.fromhex(line) for line in f if line.strip()]
    for i, frame in enumerate(frames):
        s.send(frame)
        if i % 50 == 49:
            time.sleep(0.005)  # ~10 kpps: well inside what veth and af_packet carry here
    print(len(frames), flush=True)


def helper_recv(ifname):
    """In the red namespace: join GROUP, record every inner packet the dataplane delivers."""
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    raw.bind((ifname, 0))
    raw.settimeout(0.2)
    join = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    join.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    socket.inet_aton(GROUP) + socket.inet_aton("0.0.0.0") +
                    struct.pack("=i", socket.if_nametoindex(ifname)))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print(json.dumps({"ready": True}), flush=True)
    got = []
    while not stop:
        try:
            frame, addr = raw.recvfrom(4096)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        ip = frame[14:]
        if addr[2] == socket.PACKET_OUTGOING or len(ip) < 28 or ip[9] != 17:
            continue
        if socket.inet_ntoa(ip[16:20]) != GROUP:
            continue
        payload = ip[(ip[0] & 15) * 4 + 8:]
        if payload.startswith(b"rss "):
            _, sender, seq = payload.split(b" ")[:3]
            got.append([int(sender), int(seq), ip[8]])
    print(json.dumps({"got": got}), flush=True)


if len(sys.argv) > 1 and sys.argv[1] == "--send":
    helper_send(sys.argv[2], sys.argv[3])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--recv":
    helper_recv(sys.argv[2])
    sys.exit(0)

BUILD = os.path.abspath(sys.argv[1])
DP = os.path.join(BUILD, "dataplane", "dpdk", "mcsec-dataplane")
CTL = os.path.join(BUILD, "tools", "mcsecctl", "mcsecctl")
SELF = os.path.abspath(__file__)

if os.geteuid() != 0:
    print("SKIP: needs root for network namespaces and DPDK")
    sys.exit(77)
if subprocess.run("ip netns add mrss-probe && ip netns del mrss-probe", shell=True,
                  capture_output=True).returncode != 0:
    print("SKIP: network namespaces are not allowed here")
    sys.exit(77)
for binary in (DP, CTL):
    if not os.access(binary, os.X_OK):
        print(f"FAIL: {binary} not built")
        sys.exit(1)

from scapy.all import Ether, IP, UDP, Raw  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def sh(cmd, check_rc=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r


def cleanup():
    for ns in (NS_APP, NS_RED, NS_BLK):
        sh(f"ip netns del {ns}", check_rc=False)  # takes its veth ends with it
    sh(f"rm -f /dev/shm/mcsec.{INSTANCE}", check_rc=False)


def counters():
    r = sh(f"{CTL} --instance {INSTANCE} show counters --json", check_rc=False)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None


def wait_for(cond, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    return cond()


CONFIG = f"""schema_version = 1

[instance]
name = "{INSTANCE}"
sender_id = 1

[[ports]]
name = "red0"
role = "red"
device = "net_af_packet0,iface=mrssr1,qpairs=2,framecnt=4096"
rx_queues = 2  # qpairs=2 (one tx queue per lcore): the kernel fills both sockets

[[ports]]
name = "black0"
role = "black"
device = "net_af_packet1,iface=mrssb1,qpairs=2,framecnt=4096"
addresses = ["192.0.2.1/24"]
rx_queues = 2  # PACKET_FANOUT hashes each outer flow to one of 2 sockets, lcore q polls queue q

[dataplane]
lcores = [0, 1]
hugepages = false
memory_mb = 128
exception_path = "none"
query_interval_s = 0
idle_sleep_us = 100  # the test machine is small and shared

[[policies]]
name = "gcm"
transform = "aes-gcm-128"

[[groups]]
address = "{GROUP}"
black_group = "{BLACK_GROUP}"
policy = "gcm"

[identity]
psk_file = "unused-psk.key"

[keying]
mode = "manual"

[[manual_sas]]
group = "{GROUP}"
spi = {SPI}
key_hex = "{KEY.hex()}"
"""


def build_traffic():
    """Frames for the black wire, and what each kind should do."""
    rng = random.Random(11)
    sa = SecurityAssociation(ESP, spi=SPI, crypt_algo="AES-GCM", crypt_key=KEY, auth_algo=None,
                             tunnel_header=IP(src="192.0.2.9", dst=BLACK_GROUP),
                             esn_en=True, esn=0)

    def frame(src, esp_bytes):
        ip = IP(src=src, dst=BLACK_GROUP, ttl=64, proto=50) / Raw(esp_bytes)
        return bytes(Ether(src="02:00:00:00:0b:01", dst="01:00:5e:7f:01:01") / ip)

    valid = []  # (sender, seq, esp bytes)
    for sender in SENDERS:
        for seq in range(1, PER_SENDER + 1):
            inner = (IP(src=f"10.1.0.{sender}", dst=GROUP, ttl=9) /
                     UDP(sport=40000, dport=40001) / Raw(b"rss %d %d " % (sender, seq) + bytes(40)))
            iv = ((sender << 48) | seq).to_bytes(8, "big")
            enc = sa.encrypt(inner, seq_num=seq, iv=iv, esn_en=True, esn=0)
            valid.append((sender, seq, bytes(enc[ESP])))
    originals = [frame(f"192.0.2.{10 + s}", esp) for s, _, esp in valid]
    # Copies from other outer sources: 50 of them, so both queues see copies.
    copies = [frame(f"198.51.100.{rng.randrange(1, 51)}", esp) for _, _, esp in valid]
    forged = []
    for i in range(FORGED):
        sender, _, esp = rng.choice(valid)
        esp = bytearray(esp)
        if i % 4:
            # Issue 11: SPI and everything else copied, a forged sender ID in the IV.
            forged_id = rng.randrange(6, 65536)  # no sender has it
            esp[8:10] = forged_id.to_bytes(2, "big")
        else:
            # A real sender, a counter far ahead, a broken ICV: must not move its window.
            far = 100000 + i
            esp[4:8] = far.to_bytes(4, "big")
            esp[10:16] = far.to_bytes(6, "big")
            esp[-1] ^= 0x5A
        src = f"203.0.{113 + i % 2}.{rng.randrange(1, 255)}"  # hundreds of outer sources
        forged.append(frame(src, bytes(esp)))
    # Originals in order per sender (a few copies may overtake them: then the copy is the one
    # accepted); everything else shuffled in between.
    rest = copies + forged
    rng.shuffle(rest)
    frames, at = [], 0
    step = len(rest) // len(originals) + 1
    for original in originals:
        frames.append(original)
        frames.extend(rest[at:at + step])
        at += step
    frames.extend(rest[at:])
    return frames, len(valid), len(copies), len(forged)


work = tempfile.mkdtemp(prefix="mcsec-rss-")
dataplane = receiver = None
try:
    cleanup()
    for ns in (NS_APP, NS_RED, NS_BLK):
        sh(f"ip netns add {ns}")
        sh(f"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1")
        sh(f"ip -n {ns} link set lo up")
    sh(f"ip link add mrssr1 netns {NS_APP} type veth peer name mrssr0 netns {NS_RED}")
    sh(f"ip link add mrssb1 netns {NS_APP} type veth peer name mrssb0 netns {NS_BLK}")
    for ns, ifname in ((NS_APP, "mrssr1"), (NS_APP, "mrssb1"), (NS_RED, "mrssr0"),
                       (NS_BLK, "mrssb0")):
        sh(f"ip -n {ns} link set {ifname} up")
    for ifname in ("mrssr1", "mrssb1"):  # raw interfaces under af_packet: no ARP of their own
        sh(f"ip -n {NS_APP} link set {ifname} arp off")
    sh(f"ip -n {NS_RED} addr add 10.1.0.100/24 dev mrssr0")
    sh(f"ip -n {NS_BLK} addr add 192.0.2.200/24 dev mrssb0")

    config = os.path.join(work, "rss.toml")
    with open(config, "w") as f:
        f.write(CONFIG)
    os.chmod(config, 0o600)  # it holds key_hex

    frames, n_valid, n_copies, n_forged = build_traffic()
    with open(os.path.join(work, "frames.hex"), "w") as f:
        f.writelines(fr.hex() + "\n" for fr in frames)

    log = open(os.path.join(work, "dataplane.log"), "w+")
    dataplane = subprocess.Popen(["ip", "netns", "exec", NS_APP, DP, "--config", config],
                                 cwd=work, stdout=log, stderr=subprocess.STDOUT, text=True)

    def started():
        log.flush()
        with open(log.name) as f:
            text = f.read()
        return text if "forwarding on" in text or dataplane.poll() is not None else None

    text = wait_for(started, 20) or ""
    check("forwarding on" in text, "dataplane started with 2 lcores")
    check("port black0: 2 rx queues on lcores 0-1, spread by the device itself" in text,
          "it says the black port runs 2 rx queues spread by the device")
    if "forwarding on" not in text:
        print(text)
        raise RuntimeError("dataplane did not start")

    receiver = subprocess.Popen(["ip", "netns", "exec", NS_RED, sys.executable, SELF, "--recv",
                                 "mrssr0"], stdout=subprocess.PIPE, text=True)
    assert json.loads(receiver.stdout.readline())["ready"]
    # The red host's IGMP report reached the dataplane (snooped reports count as exception).
    check(wait_for(lambda: (counters() or {}).get("exception", 0) > 0, 10),
          "the red host's IGMP join reached the dataplane")

    sent = sh(f"ip netns exec {NS_BLK} {sys.executable} {SELF} --send mrssb0 "
              f"{os.path.join(work, 'frames.hex')}")
    print(f"sent {sent.stdout.strip()} frames: {n_valid} valid, {n_copies} copies from other "
          f"sources, {n_forged} forged", flush=True)

    total = len(frames)
    c = wait_for(lambda: (lambda c: c if c and sum(
        l["black_rx"] for l in c["lcores"]) >= total else None)(counters()), 15) or counters()
    time.sleep(0.5)  # the last red frames reach the receiver
    c = counters()
    print("counters:", json.dumps(c), flush=True)
    per_lcore = [l["black_rx"] for l in c["lcores"]]
    check(sum(per_lcore) == total, f"black rx {sum(per_lcore)} of {total} frames sent")
    check(len(per_lcore) == 2 and all(n > 0 for n in per_lcore),
          f"both lcores received black traffic (black rx per lcore {per_lcore})")
    drops = c["drops"]
    check(drops["icv_mismatch"] == n_forged,
          f"every forgery counted as icv_mismatch ({drops['icv_mismatch']} of {n_forged})")
    check(drops["replay"] == n_copies,
          f"every copy from another source counted as replay ({drops['replay']} of {n_copies})")
    others = {k: v for k, v in drops.items() if v and k not in ("icv_mismatch", "replay")}
    check(not others, f"no other drops ({others})")
    check(dataplane.poll() is None, "the dataplane is alive after the forgeries")

    receiver.send_signal(signal.SIGTERM)
    got = json.loads(receiver.communicate(timeout=10)[0].strip().splitlines()[-1])["got"]
    receiver = None
    pairs = [(s, q) for s, q, _ in got]
    expected = {(s, q) for s in SENDERS for q in range(1, PER_SENDER + 1)}
    check(len(pairs) == len(set(pairs)), f"each (sender, seq) delivered at most once "
          f"({len(pairs)} delivered, {len(set(pairs))} distinct)")
    check(set(pairs) == expected, f"every valid packet delivered to red ({len(set(pairs))} of "
          f"{len(expected)}; missing {sorted(expected - set(pairs))[:8]})")
    check(all(ttl == 8 for _, _, ttl in got), "inner TTL decremented once")

    dataplane.send_signal(signal.SIGTERM)
    rc = dataplane.wait(timeout=20)
    dataplane = None
    log.seek(0)
    text = log.read()
    check(rc == 0 and "mcsec-dataplane: stopped" in text, f"clean stop on SIGTERM (rc {rc})")
    summary = [l for l in text.splitlines() if "icv_mismatch" in l]
    check(summary and summary[0].split()[-1] == str(n_forged),
          f"its summary counts the forgeries: {summary[0].strip() if summary else 'none'}")
finally:
    for p in (receiver, dataplane):
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=10)
    cleanup()
    subprocess.run(["rm", "-rf", work])
print(f"{len(failures)} failed" if failures else "all rss/forged-sender checks passed")
sys.exit(1 if failures else 0)
