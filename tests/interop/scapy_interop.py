#!/usr/bin/python3
"""Interop between mcsec's ESP core and scapy's independent IPsec implementation.

For IPv4 and IPv6 (inner and outer), AES-GCM-128 and -256, with and without ESN:
  1. mcsec encapsulates; scapy decrypts (checking the ICV) and gets the original packet back.
  2. mcsec's ESP bytes equal scapy's for the same SPI, sequence number and IV.
  3. scapy encrypts; mcsec decapsulates to the original packet.
  4. A packet scapy tampered with is dropped by mcsec with icv_mismatch.
Usage: scapy_interop.py PATH/TO/mcsec-esp-tool
"""
import os
import subprocess
import sys

from scapy.all import IP, IPv6, UDP, Raw
from scapy.layers.ipsec import ESP, SecurityAssociation

TOOL = sys.argv[1]
SPI = 0x1000
SENDER_ID = 0x0203
failures = []


def run_tool(mode, args, packets):
    cmd = [TOOL, mode] + args
    out = subprocess.run(cmd, input="".join(p.hex() + "\n" for p in packets),
                         capture_output=True, text=True, check=True).stdout.split()
    return out


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def case(inner_v6, outer_v6, key_len, esn):
    name = f"inner=v{6 if inner_v6 else 4} outer=v{6 if outer_v6 else 4} aes{key_len*8} esn={esn}"
    key = os.urandom(key_len)
    salt = os.urandom(4)
    group = "ff3e::4321" if inner_v6 else "239.1.2.3"
    src = "2001:db8:1::5" if inner_v6 else "10.1.0.5"
    tun_src = "2001:db8:ff::1" if outer_v6 else "192.0.2.1"
    tun_dst = "ff3e::beef" if outer_v6 else "239.200.0.1"
    outer_cls = IPv6 if outer_v6 else IP
    tunnel = IPv6(src=tun_src, dst=tun_dst) if outer_v6 else IP(src=tun_src, dst=tun_dst)
    # Start just below 2^32 with ESN so the high half of the sequence number matters.
    first_seq = 0xFFFFFFFE if esn else 1
    args = ["--key", (key + salt).hex(), "--spi", hex(SPI), "--tunnel-src", tun_src,
            "--tunnel-dst", tun_dst, "--red-group", group, "--sender-id", str(SENDER_ID),
            "--first-seq", str(first_seq)] + ([] if esn else ["--no-esn"])

    def inner(i):
        l3 = IPv6(src=src, dst=group, hlim=9) if inner_v6 else IP(src=src, dst=group, ttl=9)
        return l3 / UDP(sport=40000, dport=40001) / Raw(bytes([i % 256]) * (i * 37 % 1400))

    inners = [inner(i) for i in range(1, 9)]

    # 1 + 2: mcsec -> scapy.
    enc_hex = run_tool("encap", args, [bytes(p) for p in inners])
    for i, (p, h) in enumerate(zip(inners, enc_hex)):
        seq = first_seq + i
        wire = outer_cls(bytes.fromhex(h))
        sa = SecurityAssociation(ESP, spi=SPI, crypt_algo="AES-GCM", crypt_key=key + salt,
                                 auth_algo=None, tunnel_header=tunnel,
                                 esn_en=esn, esn=seq >> 32, seq_num=seq & 0xFFFFFFFF)
        try:
            dec = sa.decrypt(wire.copy())
            check(bytes(dec) == bytes(p), f"{name}: scapy decrypt of mcsec packet {i} differs")
        except Exception as e:  # any failure is a test failure
            check(False, f"{name}: scapy could not decrypt mcsec packet {i}: {e!r}")  # noqa
            continue
        iv = ((SENDER_ID << 48) | seq).to_bytes(8, "big")
        ref = sa.encrypt(p, seq_num=seq & 0xFFFFFFFF, iv=iv, esn_en=esn, esn=seq >> 32)
        check(bytes(ref[ESP]) == bytes(wire[ESP]), f"{name}: ESP bytes differ from scapy's, packet {i}")

    # 3 + 4: scapy -> mcsec.
    to_mcsec = []
    for i, p in enumerate(inners):
        seq = first_seq + i
        sa = SecurityAssociation(ESP, spi=SPI, crypt_algo="AES-GCM", crypt_key=key + salt,
                                 auth_algo=None, tunnel_header=tunnel, esn_en=esn, esn=seq >> 32,
                                 seq_num=seq & 0xFFFFFFFF)
        iv = ((SENDER_ID << 48) | seq).to_bytes(8, "big")
        to_mcsec.append(bytes(sa.encrypt(p, seq_num=seq & 0xFFFFFFFF, iv=iv)))
    tampered = bytearray(to_mcsec[-1])
    tampered[-20] ^= 0x01
    last = to_mcsec[-1]
    dec_hex = run_tool("decap", args, to_mcsec[:-1] + [bytes(tampered), last, last])
    for i, p in enumerate(inners[:-1]):
        check(dec_hex[i] == bytes(p).hex(), f"{name}: mcsec decap of scapy packet {i} differs: {dec_hex[i][:40]}")
    rest = dec_hex[len(inners) - 1:]
    check(rest[0:2] == ["drop", "icv_mismatch"], f"{name}: tampered packet not dropped as icv_mismatch: {rest}")
    check(rest[2] == bytes(inners[-1]).hex(), f"{name}: untampered copy after a forgery rejected")
    check(rest[3:5] == ["drop", "replay"], f"{name}: replayed packet not dropped as replay: {rest[3:]}")
    print(("ok  " if not any(f.startswith(name) for f in failures) else "FAIL") + " " + name)


def main():
    for inner_v6 in (False, True):
        for outer_v6 in (False, True):
            for key_len in (16, 32):
                for esn in (False, True):
                    case(inner_v6, outer_v6, key_len, esn)
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all scapy interop cases passed")


if __name__ == "__main__":
    main()
