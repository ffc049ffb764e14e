#!/usr/bin/python3
"""Integration test (ctest label `integration`): bad control messages against running
mcsec-controld processes, and bad identities at start-up.

Two instances (rj1, the TM, and rj2; --no-dataplane, X.509 under a lab CA) in their own network
namespaces agree on a key. An attacker in a third namespace on the same black bridge holds
what an on-path observer recorded of rj2's traffic (captured with an AF_PACKET socket in rj2's
namespace) and sends, to rj1:
  - replayed hello, MIKE and registration datagrams  -> counted as replays, no alarm
  - the same with a changed sequence / message number / timestamp under the old signature
                                                      -> SIGN_FAILED each
  - truncated datagrams of each protocol, an oversized hello -> MALFORMED_PACKET each
  - on the TLS prefix channel: a client certificate from another CA -> SIGN_FAILED; bytes that
    are not TLS, and a broken frame from a valid certificate -> MALFORMED_PACKET
  - a flood of 300 forged hellos -> recorded at the throttle's rate, the rest counted
The attacker sends these with rj2's source address (IP_TRANSPARENT), as an on-path attacker
can: from its own address the admission stage drops them before any protocol sees them (a
hello whose address field is not its source, a claim of an Up peer from elsewhere), which is
checked too. The alarms (mcsecctl show alarms --json) and counters (show control-counters
--json) must say exactly that, both processes must live on, and the two must still rekey
together.
Then mcsec-controld must refuse to start, with a clear message and exit status 1, on a
certificate from another CA, an expired certificate, and a key that does not match.

Usage: controld_rejection_test.py BUILD_DIR. Exit 77 (skipped) without root or namespaces.
"""
import datetime
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from black_bridge import BlackBridge, Checks, run  # noqa: E402
import controld_swarm_test as swarm  # noqa: E402  (its controld config)

NET = BlackBridge("mcsec-rj")
GROUP = "239.1.1.1"  # as in swarm.controld_config
DISCOVERY = ("239.192.0.1", 7400)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEY_LINE = re.compile(r"group (\S+) epoch (\d+) key kcv ([0-9a-f]+) members (\d+)")
REGISTERED_LINE = re.compile(r"registration member_joined group \S+ peer rj2")
check = Checks()


def address(i):
    return f"198.18.0.{i}"


def config(i, identity):
    ca, certificate, key = identity
    return swarm.controld_config(f"rj{i}", i, f"10.0.{i}.1/24", f"{address(i)}/24",
                                 f'ca = "{ca}"\ncertificate = "{certificate}"\nkey = "{key}"')


# ---- run inside a namespace: recording rj2's datagrams, and the attacker's sends ----

def capture(out_path):
    """Records every UDP datagram rj2 sends to port 7400 (multicast and unicast) as JSON lines
    until killed: what an observer on the black network sees."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind(("black0", 0))
    with open(out_path, "w") as out:
        while True:
            frame, (_, _, pkttype, _, _) = s.recvfrom(65535)
            if pkttype != socket.PACKET_OUTGOING or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 0x0F) * 4
            flags_offset = struct.unpack("!H", ip[6:8])[0]
            if ip[9] != 17 or flags_offset & 0x3FFF:  # UDP, unfragmented
                continue
            dst = socket.inet_ntoa(ip[16:20])
            dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
            if dport == DISCOVERY[1]:
                out.write(json.dumps({"dst": dst, "hex": ip[ihl + 8:].hex()}) + "\n")
                out.flush()


IP_TRANSPARENT = 19  # linux/in.h: send from an address this host does not own


def udp_socket(source):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if source != address(3):
        s.setsockopt(socket.IPPROTO_IP, IP_TRANSPARENT, 1)
        s.bind((source, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address(3)))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    return s


def send_udp(plan_path):
    """Sends each {"dst", "hex"} of the plan from this namespace's black0 address, or from
    the item's "src" (another node's address: spoofed)."""
    sockets = {}
    with open(plan_path) as f:
        plan = json.load(f)
    for item in plan:
        source = item.get("src", address(3))
        if source not in sockets:
            sockets[source] = udp_socket(source)
        sockets[source].sendto(bytes.fromhex(item["hex"]), (item["dst"], DISCOVERY[1]))
        time.sleep(item.get("pause", 0.002))


def tls_attack(kind, cert, key):
    """One connection to rj1's TLS prefix channel: `foreign` (handshake with a certificate of
    another CA), `plain` (bytes that are not TLS), `frame` (a valid handshake, then a frame
    header that is not IDP's)."""
    raw = socket.create_connection((address(1), DISCOVERY[1]), timeout=5)
    if kind == "plain":
        raw.sendall(b"GET / HTTP/1.0\r\n\r\n")
        try:
            raw.recv(100)
        except OSError:
            pass
        raw.close()
        return
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the attacker does not care who rj1 is
    context.load_cert_chain(cert, key)
    try:
        tls = context.wrap_socket(raw)
        if kind == "frame":
            tls.sendall(b"XX\x01\x02\x00\x08junk")
        tls.recv(100)  # the server's alert or close
    except (OSError, ssl.SSLError):
        pass
    raw.close()


# ---- the test ----

def ns(i):
    return NET.ns(i)


def make_pki(work):
    tool = os.path.join(ROOT, "tools", "mcsec-pki")
    pki, foreign = os.path.join(work, "pki"), os.path.join(work, "foreign")
    run(f"{tool} ca {pki} --algo ed25519")
    for name in ("rj1", "rj2", "rj3"):
        run(f"{tool} node {pki} {name}")
    run(f"{tool} ca {foreign} --algo ed25519")
    run(f"{tool} node {foreign} rj1")
    # An expired certificate for rj1 under the real CA (mcsec-pki only issues current ones).
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID
    with open(os.path.join(pki, "ca.pem"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(pki, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    node_key = ed25519.Ed25519PrivateKey.generate()
    past = datetime.datetime.utcnow() - datetime.timedelta(days=30)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rj1")]))
            .issuer_name(ca_cert.subject).public_key(node_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(past).not_valid_after(past + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                         False), critical=True)
            .sign(ca_key, None))
    expired = os.path.join(work, "expired")
    os.makedirs(expired)
    with open(os.path.join(expired, "rj1.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(os.path.join(expired, "rj1.key"), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(node_key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return pki, foreign, expired


def start(work, i, controld, identity, log_name=None):
    path = os.path.join(work, f"rj{i}.toml")
    with open(path, "w") as f:
        f.write(config(i, identity))
    log = open(os.path.join(work, log_name or f"rj{i}.log"), "a")
    return subprocess.Popen(
        ["ip", "netns", "exec", ns(i), controld, "--config", path, "--state-dir", work,
         "--socket", os.path.join(work, f"rj{i}.sock"), "--no-dataplane"],
        stdout=log, stderr=subprocess.STDOUT)


def keys(work, i):
    try:
        with open(os.path.join(work, f"rj{i}.log")) as f:
            return [(int(m[2]), m[3], int(m[4])) for m in map(KEY_LINE.search, f) if m]
    except FileNotFoundError:
        return []


def wait_agreement(work, after_epoch=0, timeout=20):
    t0 = time.time()
    while time.time() - t0 < timeout:
        k1, k2 = keys(work, 1), keys(work, 2)
        if k1 and k2 and k1[-1] == k2[-1] and k1[-1][2] == 2 and k1[-1][0] > after_epoch:
            return k1[-1]
        time.sleep(0.1)
    return None


def ctl(build, work, *args):
    r = subprocess.run([os.path.join(build, "tools", "mcsecctl", "mcsecctl"), "--socket",
                        os.path.join(work, "rj1.sock"), *args], capture_output=True, text=True)
    return r


def show(build, work, what):
    r = ctl(build, work, "show", what, "--json")
    if r.returncode != 0:
        raise RuntimeError(f"mcsecctl show {what}: {r.stderr}")
    return json.loads(r.stdout)


def wait_for(predicate, timeout=5.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def in_ns(i, *args):
    return subprocess.run(["ip", "netns", "exec", ns(i), sys.executable, __file__, *args],
                          capture_output=True, text=True, timeout=30)


def forged(datagrams, kind):
    """The newest captured datagram of `kind` (hello, mike, registration)."""
    magic = {"hello": "4944", "mike": "4d4b", "registration": "5247"}[kind]
    found = [d for d in datagrams if d["hex"].startswith(magic)]
    return found[-1] if found else None


def bump(hex_payload, offset, delta=1000):
    """The datagram with its 8-byte big-endian field at `offset` raised by `delta` and the old
    signature kept: a forgery of a message that was never sent."""
    b = bytearray.fromhex(hex_payload)
    value = int.from_bytes(b[offset:offset + 8], "big") + delta
    b[offset:offset + 8] = value.to_bytes(8, "big")
    return b.hex()


def hello_sequence_offset(b):
    # header 6, node id (u8 length + id), address (u8 family + 4), startup timestamp 8
    return 6 + 1 + b[6] + 1 + 4 + 8


def mike_number_offset(b):
    # header 6, group id (u8 length + id), sender (u8 length + id), session 8
    g = b[6]
    s = b[7 + g]
    return 6 + 1 + g + 1 + s + 8


def registration_timestamp_offset(b):
    # header 6, sender (u8 length + id)
    return 6 + 1 + b[6]


def alarms_from_attacker(alarms):
    """Each alarm names the attacker's address (or, on TLS, its certificate's node)."""
    return [a for a in alarms
            if address(3) in a["detail"] or address(2) in a["detail"] or
            a["peer"] in ("rj3", address(3), address(2))]


def main():
    if len(sys.argv) >= 2 and sys.argv[1] in ("capture", "send", "tls"):
        {"capture": lambda: capture(sys.argv[2]), "send": lambda: send_udp(sys.argv[2]),
         "tls": lambda: tls_attack(*sys.argv[2:5])}[sys.argv[1]]()
        return 0
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    controld = os.path.join(build, "controlplane", "controld", "mcsec-controld")
    if os.geteuid() != 0 or run("ip netns list", check_rc=False).returncode != 0:
        print("skipped: needs root and network namespaces")
        return 77
    NET.teardown()
    procs = []
    work = tempfile.mkdtemp(prefix="mcsec-rejection-")
    try:
        NET.create()
        for i in (1, 2, 3):
            NET.add_port(ns(i), f"p{i}", [address(i)])
        pki, foreign, expired = make_pki(work)

        def identity(where, name):
            return (os.path.join(pki, "ca.pem"), os.path.join(where, f"{name}.pem"),
                    os.path.join(where, f"{name}.key"))

        recorded = os.path.join(work, "rj2-datagrams.jsonl")
        recorder = subprocess.Popen(["ip", "netns", "exec", ns(2), sys.executable, __file__,
                                     "capture", recorded])
        procs.append(recorder)
        time.sleep(0.5)  # the recorder's socket is bound before rj2 says anything
        procs.append(start(work, 1, controld, identity(pki, "rj1")))
        time.sleep(0.3)  # rj1 first: the smallest id is the TM either way; this is just tidier
        procs.append(start(work, 2, controld, identity(pki, "rj2")))
        agreed = wait_agreement(work)
        check(agreed is not None, f"rj1 and rj2 agreed one key (epoch {agreed and agreed[0]})")
        registered = wait_for(lambda: REGISTERED_LINE.search(
            open(os.path.join(work, "rj1.log")).read()))
        check(bool(registered), "rj2 registered with its TM rj1")
        time.sleep(0.5)
        recorder.kill()
        recorder.wait()
        with open(recorded) as f:
            datagrams = [json.loads(line) for line in f if line.strip()]
        hello, mike, reg = (forged(datagrams, k) for k in ("hello", "mike", "registration"))
        check(hello and mike and reg, f"recorded rj2's hello, MIKE and registration datagrams "
              f"({len(datagrams)} in all)")
        if not (hello and mike and reg):
            return 1
        multicast = DISCOVERY[0]
        hb, mb, rb = (bytes.fromhex(d["hex"]) for d in (hello, mike, reg))
        oversized = bytearray(hb) + bytes(3000)
        oversized[4:6] = struct.pack("!H", len(oversized) & 0xFFFF)
        plan = [
            {"dst": multicast, "hex": hello["hex"]},                                   # replay
            {"dst": multicast, "hex": bump(hello["hex"], hello_sequence_offset(hb))},  # forged
            {"dst": multicast, "hex": hb[:20].hex()},                                  # truncated
            {"dst": multicast, "hex": bytes(oversized).hex()},                         # oversized
            {"dst": multicast, "hex": mike["hex"]},
            {"dst": multicast, "hex": bump(mike["hex"], mike_number_offset(mb))},
            {"dst": multicast, "hex": mb[:30].hex()},
            {"dst": address(1), "hex": reg["hex"]},
            {"dst": address(1), "hex": bump(reg["hex"], registration_timestamp_offset(rb))},
            {"dst": address(1), "hex": rb[:12].hex()},
        ]
        for item in plan:
            item["src"] = address(2)  # on-path: from rj2's address, past admission
        counters_before = show(build, work, "control-counters")
        with open(os.path.join(work, "plan.json"), "w") as f:
            json.dump(plan, f)
        r = in_ns(3, "send", os.path.join(work, "plan.json"))
        check(r.returncode == 0, f"attacker sent {len(plan)} datagrams {r.stderr[-300:]}")
        for kind, cert_dir, name in (("foreign", foreign, "rj1"), ("plain", pki, "rj3"),
                                     ("frame", pki, "rj3")):
            r = in_ns(3, "tls", kind, os.path.join(cert_dir, f"{name}.pem"),
                      os.path.join(cert_dir, f"{name}.key"))
            check(r.returncode == 0, f"attacker's TLS connection ({kind}) {r.stderr[-300:]}")

        expected = {("SIGN_FAILED", "hello"), ("MALFORMED_PACKET", "hello"),
                    ("SIGN_FAILED", "MIKE"), ("MALFORMED_PACKET", "MIKE"),
                    ("SIGN_FAILED", "registration"), ("MALFORMED_PACKET", "registration"),
                    ("SIGN_FAILED", "TLS handshake"), ("MALFORMED_PACKET", "TLS bytes"),
                    ("MALFORMED_PACKET", "TLS frame")}

        def classify(a):
            d = a["detail"]
            if d.startswith("hello from"):
                return a["kind"], "hello"
            if d.startswith("MIKE message from"):
                return a["kind"], "MIKE"
            if d.startswith("TLS handshake"):
                return a["kind"], "TLS handshake"
            if d.startswith("TLS frame") and a["peer"] == "rj3":
                return a["kind"], "TLS frame"
            if d.startswith("TLS frame"):
                return a["kind"], "TLS bytes"
            return a["kind"], "registration"

        def attacker_alarms():
            return alarms_from_attacker(show(build, work, "alarms"))

        # The oversized hello is one UDP datagram (IP-fragmented on the way, reassembled).
        wait_for(lambda: len(attacker_alarms()) >= 10)
        got = attacker_alarms()
        seen = [classify(a) for a in got]
        check(set(seen) == expected, f"one alarm of the right kind per attack: {sorted(set(seen))}")
        check(len(seen) == 10 and seen.count(("MALFORMED_PACKET", "hello")) == 2,
              f"nothing for the replays: 10 alarms for 13 attacks (the truncated and the "
              f"oversized hello one each), got {len(seen)}")
        mike_alarms = [a for a in got if a["detail"].startswith("MIKE")]
        check(all(a["group"] == GROUP for a in mike_alarms), "MIKE alarms name the group")
        tls = [a for a in got if a["detail"].startswith("TLS handshake")]
        check(tls and "certificate" in tls[0]["detail"],
              f"the TLS alarm says the certificate was refused ({tls and tls[0]['detail']})")
        for a in got:
            print(f"     {a['kind']:<16} {a['peer'] or '-':<5} {a['detail']}")

        after = show(build, work, "control-counters")

        def delta(path):
            a, b = after, counters_before
            for p in path.split("/"):
                a, b = a.get(p, {}) if isinstance(a, dict) else 0, \
                    b.get(p, {}) if isinstance(b, dict) else 0
            return (a or 0) - (b or 0)

        for path, want in (("hello_verdicts/replay", 1), ("hello_verdicts/bad_signature", 1),
                           ("hello_verdicts/malformed", 2),
                           (f"mike/{GROUP}/received/replay", 1),
                           (f"mike/{GROUP}/received/bad_signature", 1),
                           (f"mike/{GROUP}/received/malformed", 1),
                           ("registration/tm/bad_signature", 1),
                           ("registration/tm/malformed", 1),
                           ("prefix_exchange/tls/handshake_failures", 2),
                           ("prefix_exchange/tls/malformed", 1)):
            check(delta(path) == want, f"counter {path} +{want} (got +{delta(path)})")
        replayed = delta("registration/tm/replay") + delta("registration/tm/duplicate")
        check(replayed == 1, f"the replayed REGISTER counted as a replay or duplicate "
              f"(+{replayed})")

        # The same replays from the attacker's own address: admission drops them, no protocol
        # sees them, nothing is verified and no alarm raised.
        own = [{"dst": multicast, "hex": hello["hex"]}, {"dst": multicast, "hex": mike["hex"]},
               {"dst": address(1), "hex": reg["hex"]}]
        with open(os.path.join(work, "own.json"), "w") as f:
            json.dump(own, f)
        alarms_before = len(attacker_alarms())
        r = in_ns(3, "send", os.path.join(work, "own.json"))
        dropped = wait_for(lambda: (lambda c: c if c["admission"]["peer_address_mismatch"] -
                                    after["admission"]["peer_address_mismatch"] >= 2 else None)(
            show(build, work, "control-counters")))
        admission = (dropped or after)["admission"]
        check(dropped is not None and admission["hello_address_mismatch"] -
              after["admission"]["hello_address_mismatch"] == 1 and
              admission["peer_address_mismatch"] - after["admission"]["peer_address_mismatch"] == 2
              and all(dropped["hello_verdicts"].get(v) == after["hello_verdicts"].get(v)
                      for v in ("replay", "bad_signature")) and
              len(attacker_alarms()) == alarms_before,
              "from the attacker's own address the replays were dropped at admission "
              f"(hello_address_mismatch +1, peer_address_mismatch +2, no hello verdict, no alarm): "
              f"{admission}")
        after = dropped or after

        # A flood: 300 forged hellos, each with a new sequence number, from rj2's address at
        # the pace its admission bucket allows (100 a second).
        flood = [{"dst": multicast, "hex": bump(hello["hex"], hello_sequence_offset(hb), 2000 + k),
                  "src": address(2), "pause": 0.012} for k in range(300)]
        with open(os.path.join(work, "flood.json"), "w") as f:
            json.dump(flood, f)
        t0 = time.time()
        r = in_ns(3, "send", os.path.join(work, "flood.json"))
        elapsed = time.time() - t0
        counters = wait_for(lambda: (lambda c: c if c["hello_verdicts"]["bad_signature"] -
                                     counters_before["hello_verdicts"]["bad_signature"] >= 301
                                     else None)(show(build, work, "control-counters")))
        check(counters is not None, "all 300 forged hellos were judged (bad_signature)")
        signed = (counters or after)["alarms"].get("SIGN_FAILED", {})
        signed_before = after["alarms"].get("SIGN_FAILED", {})
        raised = signed.get("raised", 0) - signed_before.get("raised", 0)
        suppressed = signed.get("suppressed", 0) - signed_before.get("suppressed", 0)
        # At most a full burst (10) plus one per second of flood, and every other one counted.
        allowed = 10 + int(elapsed) + 1
        check(0 < raised <= allowed and raised + suppressed == 300,
              f"the flood was throttled: {raised} recorded (<= {allowed} in {elapsed:.1f} s), "
              f"{suppressed} suppressed")
        alarm_list = show(build, work, "alarms")
        check(len(alarm_list) < 40, f"the alarm list stays short ({len(alarm_list)} entries)")
        human = ctl(build, work, "show", "control-counters")
        check(human.returncode == 0 and "alarms.SIGN_FAILED.suppressed" in human.stdout,
              "mcsecctl show control-counters lists the suppressed alarms")

        check(all(p.poll() is None for p in procs[1:]), "both mcsec-controld processes still run")
        before = keys(work, 1)[-1][0]
        r = ctl(build, work, "rekey")
        again = wait_agreement(work, after_epoch=before)
        check(r.returncode == 0 and again is not None,
              f"an operator rekey still moves both to a new key (epoch {again and again[0]})")
        sas = ctl(build, work, "show", "sas", "--json")
        check(sas.returncode == 0 and json.loads(sas.stdout) == [],
              "show sas: no SAs installed with --no-dataplane")

        # Start-up refusals, each a clear message and exit status 1, before any socket opens.
        for n, (name, ident, want) in enumerate((
                ("a certificate from another CA", identity(foreign, "rj1"), "CA"),
                ("an expired certificate", identity(expired, "rj1"), "expired"),
                ("a key that does not match", (identity(pki, "rj1")[0], identity(pki, "rj1")[1],
                                               identity(pki, "rj2")[2]), "match"))):
            log = f"refused-{n}.log"
            p = start(work, 1, controld, ident, log_name=log)
            try:
                rc = p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = None
            with open(os.path.join(work, log)) as f:
                text = f.read().strip()
            check(rc == 1 and "identity" in text and want.lower() in text.lower(),
                  f"start-up refused with {name}: rc {rc}: {text[-200:]}")
    finally:
        NET.teardown(procs)
        subprocess.run(["rm", "-rf", work])
    return check.verdict()


if __name__ == "__main__":
    sys.exit(main())
