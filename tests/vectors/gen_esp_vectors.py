#!/usr/bin/python3
"""Generates esp_gcm_vectors.txt: RFC 4106 ESP tunnel-mode packets built by scapy (an
implementation independent of mcsec) from fixed keys, so the unit tests can check mcsec's
encap and decap against them byte for byte without Python.

Each record is one line of space-separated fields:
  name key_and_salt_hex spi seq esn(0/1) sender_id tunnel_src tunnel_dst inner_hex esp_packet_hex
The IV is sender_id (16 bits) || seq (48 bits), mcsec's RFC 6054 layout.
Regenerate with: /usr/bin/python3 tests/vectors/gen_esp_vectors.py > tests/vectors/esp_gcm_vectors.txt
"""
from scapy.all import IP, IPv6, UDP, Raw
from scapy.layers.ipsec import ESP, SecurityAssociation

CASES = [
    # name, key+salt, spi, seq, esn, sender, inner v6, outer v6, payload length
    ("v4in4-aes128-seq1", "feffe9928665731c6d6a8f9467308308" "cafebabe", 0x00001000, 1, 0, 1, False, False, 0),
    ("v4in4-aes128-pad1", "feffe9928665731c6d6a8f9467308308" "cafebabe", 0x00001000, 2, 0, 1, False, False, 1),
    ("v4in4-aes128-pad3", "feffe9928665731c6d6a8f9467308308" "cafebabe", 0x00001000, 3, 0, 1, False, False, 3),
    ("v4in4-aes256-1392", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308" "deadbeef",
     0x4321abcd, 77, 0, 0x00ff, False, False, 1392),
    ("v6in6-aes128-esn", "000102030405060708090a0b0c0d0e0f" "10111213", 0x00000101, (5 << 32) | 9, 1, 0xabcd, True, True, 64),
    ("v6in4-aes256-esn", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" "20212223",
     0x00abcdef, (1 << 32), 1, 2, True, False, 200),
    ("v4in6-aes128", "0f0e0d0c0b0a09080706050403020100" "55aa55aa", 0x00010000, 123456, 0, 65535, False, True, 511),
]


def main():
    for name, ks, spi, seq, esn, sender, in6, out6, plen in CASES:
        key_salt = bytes.fromhex(ks)
        group = "ff3e::1:2" if in6 else "239.1.1.1"
        src = "2001:db8:1::10" if in6 else "10.1.0.10"
        tsrc = "2001:db8:ff::1" if out6 else "192.0.2.1"
        tdst = "ff3e::ff:1" if out6 else "239.100.1.1"
        l3 = IPv6(src=src, dst=group, hlim=32) if in6 else IP(src=src, dst=group, ttl=32)
        inner = l3 / UDP(sport=40000, dport=40001) / Raw(bytes((i * 7 + 3) % 256 for i in range(plen)))
        tunnel = IPv6(src=tsrc, dst=tdst, hlim=64) if out6 else IP(src=tsrc, dst=tdst, ttl=64, id=0)
        sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=key_salt,
                                 auth_algo=None, tunnel_header=tunnel, esn_en=bool(esn),
                                 esn=seq >> 32, seq_num=seq & 0xFFFFFFFF)
        iv = ((sender << 48) | seq).to_bytes(8, "big")
        pkt = sa.encrypt(inner, seq_num=seq & 0xFFFFFFFF, iv=iv)
        print(name, ks, spi, seq, esn, sender, tsrc, tdst, bytes(inner).hex(), bytes(pkt).hex())


if __name__ == "__main__":
    main()
