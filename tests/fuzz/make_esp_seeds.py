#!/usr/bin/python3
"""Writes the seed corpus of fuzz_esp_decap (tests/fuzz/corpus/esp_decap/).

Seeds starting with 0x00 are real AES-GCM packets (built by scapy) for the SAs the fuzz target
installs, so mutations start from packets that pass the SA lookup and the ICV. Seeds starting
with 0x01 are for the pass-through engine: ESP whose "ciphertext" is the plaintext inner
packet and trailer, so mutations reach the post-authentication checks directly. The other bits
of the first byte pick which view of the shared SA state (an lcore) takes each packet: the
views-* seeds send a packet and its copies through different views.
Regenerate with: /usr/bin/python3 tests/fuzz/make_esp_seeds.py
"""
import os

from scapy.all import IP, IPv6, UDP, Raw
from scapy.layers.ipsec import ESP, SecurityAssociation

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "esp_decap")
KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308") + bytes.fromhex("cafebabe")
SAS = [  # spi, esn, tunnel dst, red group
    (0x1000, False, "239.100.1.1", "239.1.1.1"),
    (0x1001, True, "239.100.1.1", "239.1.1.1"),
    (0x1002, True, "ff3e::ff:1", "ff3e::1:2"),
]


def inner(group, n):
    l3 = IPv6(src="2001:db8::1", dst=group) if ":" in group else IP(src="10.1.0.1", dst=group)
    return l3 / UDP(sport=40000, dport=40001) / Raw(b"x" * n)


def tunnel(dst):
    return IPv6(src="2001:db8:ff::1", dst=dst) if ":" in dst else IP(src="192.0.2.1", dst=dst)


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    for spi, esn, dst, group in SAS:
        for seq, size in ((1, 0), (2, 33), (3, 200)):
            sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=KEY,
                                     auth_algo=None, tunnel_header=tunnel(dst), esn_en=esn,
                                     esn=0, seq_num=seq)
            iv = ((1 << 48) | seq).to_bytes(8, "big")
            pkt = bytes(sa.encrypt(inner(group, size), seq_num=seq, iv=iv))
            with open(os.path.join(OUT, f"real-{n:02d}"), "wb") as f:
                f.write(b"\x00" + pkt)
            n += 1
        # Pass-through: a NULL-cipher-like ESP packet with a zero "ICV".
        sa = SecurityAssociation(ESP, spi=spi, crypt_algo="NULL", auth_algo=None,
                                 tunnel_header=tunnel(dst), seq_num=5)
        pkt = bytes(sa.encrypt(inner(group, 20), seq_num=5, iv=b""))
        # NULL has no IV; insert an 8-byte IV after the ESP header and a 16-byte ICV at the end.
        ip_len = 40 if ":" in dst else 20
        pkt = pkt[:ip_len + 8] + ((2 << 48) | 5).to_bytes(8, "big") + pkt[ip_len + 8:] + bytes(16)
        if ":" in dst:
            pkt = pkt[:4] + (len(pkt) - 40).to_bytes(2, "big") + pkt[6:]
        else:
            pkt = pkt[:2] + len(pkt).to_bytes(2, "big") + pkt[4:10] + b"\0\0" + pkt[12:]
        with open(os.path.join(OUT, f"pass-{n:02d}"), "wb") as f:
            f.write(b"\x01" + pkt)
        # Two packets in one burst (0xff 0xfe separates them): a duplicate.
        with open(os.path.join(OUT, f"pass-dup-{n:02d}"), "wb") as f:
            f.write(b"\x01" + pkt + b"\xff\xfe" + pkt)
        # The packet through views 0, 1, 2 (base-3 digits 0, 1, 2 = 21): copies on other lcores.
        with open(os.path.join(OUT, f"views-pass-{n:02d}"), "wb") as f:
            f.write(bytes([1 | 21 << 1]) + pkt + b"\xff\xfe" + pkt + b"\xff\xfe" + pkt)
        # A real packet from a new sender (3) on view 0, its copy on view 1 (digits 0, 1 = 3).
        sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=KEY,
                                 auth_algo=None, tunnel_header=tunnel(dst), esn_en=esn,
                                 esn=0, seq_num=7)
        iv = ((3 << 48) | 7).to_bytes(8, "big")
        real = bytes(sa.encrypt(inner(group, 10), seq_num=7, iv=iv))
        with open(os.path.join(OUT, f"views-real-{n:02d}"), "wb") as f:
            f.write(bytes([0 | 3 << 1]) + real + b"\xff\xfe" + real)
        n += 1


if __name__ == "__main__":
    main()
