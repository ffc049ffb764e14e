#!/usr/bin/python3
"""Integration test of the outbound SPD (issue 11; ctest label `integration`): the dataplane
replays red captures offline (pcap vdevs, as config/samples/pcap-offline.toml) for configs with
several entries per red group, and black-out.pcap must hold exactly what RFC 4301 4.4.1 asks
for (most specific source prefix first, no entry = DISCARD):
  - PROTECT: ESP only, which tshark decrypts with the entry's key (its SPI) to the red payload;
  - BYPASS: the red packet in the clear, and only where a BYPASS entry is the most specific;
  - DISCARD (an entry, or none): nothing, counted as policy_discard / no_policy.
No protected or discarded red payload may appear in the clear anywhere in black-out.pcap.

Case 1 is the issue's: 239.1.1.1 from 192.168.10.0/24 protect and from 172.16.0.0/12 bypass
(the /24's packets used to leave in the clear), and the same for an IPv6 group. Case 2 mixes
protect, bypass and discard with nested prefixes of IPv4 and IPv6 groups. A small reference
written from the RFC (ipaddress, a linear scan) decides each packet.

Usage: spd_offline_test.py BUILD_DIR     (exit 77 = skipped: not root)
"""
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile

BUILD = os.path.abspath(sys.argv[1])
DP = os.path.join(BUILD, "dataplane", "dpdk", "mcsec-dataplane")

if os.geteuid() != 0:
    print("SKIP: DPDK needs root here")
    sys.exit(77)

from scapy.all import Ether, IP, IPv6, UDP, Raw, rdpcap, wrpcap  # noqa: E402

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


HEADER = """schema_version = 1
[instance]
name = "{instance}"
sender_id = 1
[[ports]]
name = "red0"
role = "red"
device = "net_pcap0,rx_pcap=red-in.pcap,tx_pcap=red-out.pcap"
[[ports]]
name = "black0"
role = "black"
device = "net_pcap1,rx_pcap=black-in.pcap,tx_pcap=black-out.pcap"
addresses = ["192.0.2.1/24", "2001:db8:ffff::1/64"]
[dataplane]
hugepages = false
memory_mb = 64
exception_path = "none"
query_interval_s = 0
[[policies]]
name = "gcm128"
transform = "aes-gcm-128"
[identity]
psk_file = "psk.key"
[keying]
mode = "manual"
"""


def key_of(spi):
    """A distinct test key (16 bytes) and salt (4 bytes) per SPI, as hex."""
    return "%08x" % spi * 5


def write_config(path, instance, entries):
    """entries: (group, source or None, action, spi or None) in config order."""
    text = HEADER.format(instance=instance)
    for group, source, action, spi in entries:
        text += '[[groups]]\naddress = "%s"\n' % group
        if source:
            text += 'source = "%s"\n' % source
        text += 'action = "%s"\npolicy = "gcm128"\n' % action
    for group, source, action, spi in entries:
        if action != "protect":
            continue
        text += '[[manual_sas]]\ngroup = "%s"\n' % group
        if source:
            text += 'source = "%s"\n' % source
        text += 'spi = %d\nkey_hex = "%s"\n' % (spi, key_of(spi))
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)  # it holds keys


def reference(entries, group, source):
    """RFC 4301 4.4.1 for mcsec's selectors: the most specific matching entry, or None."""
    best = None
    for entry in entries:
        g, prefix, _, _ = entry
        if ipaddress.ip_address(g) != ipaddress.ip_address(group):
            continue
        net = ipaddress.ip_network(prefix) if prefix else None
        if net is not None and ipaddress.ip_address(source) not in net:
            continue
        length = net.prefixlen if net is not None else 0
        if best is None or length > best[0]:
            best = (length, entry)
    return best[1] if best else None


def red_frame(source, group, payload):
    if ":" in group:
        return (Ether(dst="33:33:00:00:00:01") / IPv6(src=source, dst=group, hlim=9) /
                UDP(sport=40000, dport=40001) / Raw(payload))
    return (Ether(dst="01:00:5e:01:01:01") / IP(src=source, dst=group, ttl=9) /
            UDP(sport=40000, dport=40001) / Raw(payload))


def run_dataplane(workdir, config, instance, seconds=3):
    subprocess.run(["rm", "-f", f"/dev/shm/mcsec.{instance}"])
    p = subprocess.Popen([DP, "--config", config], cwd=workdir, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate(timeout=20)
    subprocess.run(["rm", "-f", f"/dev/shm/mcsec.{instance}"])
    return p.returncode, out


def decrypted_payloads(pcap, sas):
    """(spi, payload) of every ESP packet tshark decrypts with `sas` [(family, spi)]."""
    args = ["tshark", "-r", pcap, "-o", "esp.enable_encryption_decode:TRUE"]
    for family, spi in sas:
        args += ["-o", f'uat:esp_sa:"{family}","*","*","0x{spi:08x}",'
                       f'"AES-GCM with 16 octet ICV [RFC4106]","0x{key_of(spi)}","NULL",""']
    args += ["-Y", "esp", "-T", "fields", "-e", "esp.spi", "-e", "data.data"]
    r = subprocess.run(args, capture_output=True, text=True)
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) < 2 or not cols[1]:
            rows.append((int(cols[0], 0) if cols and cols[0] else None, None))
            continue
        rows.append((int(cols[0], 0), bytes.fromhex(cols[1].replace(":", ""))))
    return rows


def run_case(name, entries, flows, per_flow=5):
    """flows: (source, group) pairs. Each sends per_flow packets with a unique payload."""
    instance = "spdoff-" + name
    work = tempfile.mkdtemp(prefix="mcsec-spd-")
    try:
        write_config(os.path.join(work, "spd.toml"), instance, entries)
        red, expected = [], {}
        for i in range(per_flow):  # interleaved, so bursts mix the entries
            for n, (source, group) in enumerate(flows):
                payload = b"%s-flow%02d-pkt%02d" % (name.encode(), n, i)
                red.append(red_frame(source, group, payload))
                expected[payload] = reference(entries, group, source)
        wrpcap(os.path.join(work, "red-in.pcap"), red)
        wrpcap(os.path.join(work, "black-in.pcap"), [Ether() / IP(src="192.0.2.9", dst="239.9.9.9") / UDP()])
        rc, out = run_dataplane(work, "spd.toml", instance)
        check(rc == 0 and "stopped" in out,
              f"{name}: dataplane ran and stopped cleanly (rc {rc})" + ("" if rc == 0 else "\n" + out))

        black = rdpcap(os.path.join(work, "black-out.pcap"))
        sas = [("IPv6" if ":" in g else "IPv4", spi) for g, _, a, spi in entries if a == "protect"]
        esp = decrypted_payloads(os.path.join(work, "black-out.pcap"), sas)
        clear = []  # red payloads that left in the clear
        for p in black:
            if UDP in p and Raw in p:
                clear.append(bytes(p[Raw].load))

        def action(payload):
            e = expected[payload]
            return e[2] if e else "none"

        want_esp = sorted((expected[p][3], p) for p in expected if action(p) == "protect")
        want_clear = sorted(p for p in expected if action(p) == "bypass")
        leaked = sorted(p for p in expected if action(p) != "bypass" and
                        any(p in bytes(pkt) for pkt in black))
        counts = {a: sum(1 for p in expected if action(p) == a)
                  for a in ("protect", "bypass", "discard", "none")}
        print(f"      {name}: {len(red)} red packets: {counts}")
        check(not leaked, f"{name}: no protected or discarded red payload in the clear on black "
                          f"({len(leaked)}: {leaked[:3]})")
        check(sorted(e for e in esp if e[1] is not None) == want_esp and
              all(e[1] is not None for e in esp),
              f"{name}: black ESP = the PROTECT packets, each under its entry's SPI, and tshark "
              f"decrypts every one ({len(esp)} ESP, {len(want_esp)} expected)")
        check(sorted(clear) == want_clear,
              f"{name}: black plaintext = exactly the BYPASS packets ({len(clear)}, "
              f"{len(want_clear)} expected)")
        check(len(black) == len(want_esp) + len(want_clear),
              f"{name}: nothing else on black ({len(black)} packets)")
        drops = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[1] == "drop":
                drops[parts[2]] = int(parts[3])
        check(drops.get("policy_discard", 0) == counts["discard"] and
              drops.get("no_policy", 0) == counts["none"],
              f"{name}: DISCARD counted as policy_discard ({drops.get('policy_discard', 0)}), "
              f"no entry as no_policy ({drops.get('no_policy', 0)})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Case 1: issue 11's config, and the same shape for IPv6.
run_case("issue11", [
    ("239.1.1.1", "192.168.10.0/24", "protect", 0x1000),
    ("239.1.1.1", "172.16.0.0/12", "bypass", None),
    ("ff3e::1:1", "fd00:10::/64", "protect", 0x1001),
    ("ff3e::1:1", "fd00::/16", "bypass", None),
], [
    ("192.168.10.10", "239.1.1.1"),  # protect: it used to leave in the clear
    ("172.16.5.5", "239.1.1.1"),     # bypass
    ("172.31.255.254", "239.1.1.1"),  # bypass, the /12's last host
    ("192.168.11.10", "239.1.1.1"),  # no entry
    ("fd00:10::5", "ff3e::1:1"),     # protect
    ("fd00:20::5", "ff3e::1:1"),     # bypass
    ("fd01::1", "ff3e::1:1"),        # no entry
])

# Case 2: protect, bypass and discard, nested prefixes; config order is not priority order.
run_case("mixed", [
    ("239.2.2.2", "10.1.2.3/32", "protect", 0x2001),
    ("239.2.2.2", None, "discard", None),
    ("239.2.2.2", "10.0.0.0/8", "bypass", None),
    ("239.2.2.2", "10.1.0.0/16", "protect", 0x2000),
    ("239.2.2.2", "10.1.2.0/24", "discard", None),
    ("239.3.3.3", None, "bypass", None),
    ("239.3.3.3", "10.0.0.0/8", "protect", 0x2002),
    ("239.4.4.4", "0.0.0.0/0", "bypass", None),
    ("239.4.4.4", "10.9.9.128/25", "discard", None),
    ("ff3e::2:2", "2001:db8:1::/48", "bypass", None),
    ("ff3e::2:2", "2001:db8:1:2::/64", "protect", 0x2003),
    ("ff3e::2:2", "2001:db8:1:2::7/128", "discard", None),
], [
    ("10.1.2.3", "239.2.2.2"),     # host protect inside a discarded /24
    ("10.1.2.4", "239.2.2.2"),     # discard /24
    ("10.1.3.1", "239.2.2.2"),     # protect /16
    ("10.2.0.1", "239.2.2.2"),     # bypass /8
    ("11.0.0.1", "239.2.2.2"),     # any: discard
    ("10.200.0.1", "239.3.3.3"),   # protect /8 inside an any-source bypass
    ("192.0.2.77", "239.3.3.3"),   # bypass (any)
    ("10.9.9.200", "239.4.4.4"),   # discard /25
    ("10.9.9.127", "239.4.4.4"),   # bypass /0, just outside the /25
    ("2001:db8:1:2::7", "ff3e::2:2"),  # discard host
    ("2001:db8:1:2::8", "ff3e::2:2"),  # protect /64
    ("2001:db8:1:3::1", "ff3e::2:2"),  # bypass /48
    ("2001:db8:2::1", "ff3e::2:2"),    # no entry
    ("10.1.2.3", "239.5.5.5"),     # a group without entries
])

print(f"{len(failures)} failed" if failures else "all SPD checks passed")
sys.exit(1 if failures else 0)
