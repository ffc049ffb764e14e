#!/usr/bin/python3
"""Multicast traffic for mcsec-lab: sequence-stamped UDP senders and receivers (stdlib only).

  mcast.py send --group G --port P --ifname IF --count N [--rate PPS] [--size BYTES] [--tag T]
  mcast.py recv --group G --port P --ifname IF [--seconds S] [--expect N] [--no-join]

A payload is TAG (8 bytes) || sequence number (8 bytes, big-endian) || filler up to --size.
recv prints one JSON object: {"received": n, "seqs": [...], "payload_sha256": ...} where the
hash covers every payload in arrival order, so a test compares bytes without shipping them.
"""
import argparse
import hashlib
import json
import socket
import struct
import sys
import time


def family_of(group):
    return socket.AF_INET6 if ":" in group else socket.AF_INET


def payload(tag, seq, size):
    head = tag.encode()[:8].ljust(8, b"_") + struct.pack("!Q", seq)
    filler = bytes((seq * 7 + k) % 251 for k in range(max(0, size - len(head))))
    return head + filler


def send(a):
    fam = family_of(a.group)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    index = socket.if_nametoindex(a.ifname)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.ifname.encode())
        dest = (a.group, a.port)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 8)
        dest = (a.group, a.port, 0, index)
    interval = 1.0 / a.rate if a.rate > 0 else 0
    start = time.time()
    for seq in range(a.first, a.first + a.count):
        s.sendto(payload(a.tag, seq, a.size), dest)
        if interval:
            delay = start + (seq - a.first + 1) * interval - time.time()
            if delay > 0:
                time.sleep(delay)
    print(json.dumps({"sent": a.count}))


def recv(a):
    fam = family_of(a.group)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    index = socket.if_nametoindex(a.ifname)
    if fam == socket.AF_INET:
        s.bind((a.group, a.port))
        if not a.no_join:  # ip_mreqn: group, local address 0, interface index
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                         socket.inet_aton(a.group) + socket.inet_aton("0.0.0.0") +
                         struct.pack("=i", index))
    else:
        s.bind(("::", a.port))
        if not a.no_join:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                         socket.inet_pton(socket.AF_INET6, a.group) + struct.pack("=I", index))
    print(json.dumps({"ready": True}), flush=True)
    s.settimeout(0.2)
    deadline = time.time() + a.seconds
    seqs, digest = [], hashlib.sha256()
    while time.time() < deadline and (a.expect == 0 or len(seqs) < a.expect):
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        digest.update(data)
        seqs.append(struct.unpack("!Q", data[8:16])[0] if len(data) >= 16 else -1)
    print(json.dumps({"received": len(seqs), "seqs": seqs, "payload_sha256": digest.hexdigest()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["send", "recv"])
    p.add_argument("--group", required=True)
    p.add_argument("--port", type=int, default=40001)
    p.add_argument("--ifname", required=True)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--tag", default="mcsec")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--no-join", action="store_true", help="listen without joining the group")
    a = p.parse_args()
    send(a) if a.mode == "send" else recv(a)


if __name__ == "__main__":
    main()
