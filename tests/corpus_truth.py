#!/usr/bin/env python3
"""The truth of a traceroute capture, from the packets alone (tshark's
fields), never from what a tool printed: one line per probe TTL with the
addresses that answered it ("TTL ADDR,ADDR" or "TTL *"), then "end TTL"
for the first TTL the destination answered (a port-unreachable to a UDP
probe, an echo reply to an ICMP one), or "end -".
A probe is known by what its answers quote back: the destination port
of a UDP probe (traceroute and tracepath give each probe its own), the
identifier and sequence number of an ICMP echo request (Windows tracert,
traceroute -I). "Fragmentation needed" answers are no hop's (the probe
goes again smaller).

    python3 tests/corpus_truth.py CAPTURE
"""
import subprocess
import sys

fields = ["ip.src", "ip.ttl", "icmp.type", "icmp.code", "udp.dstport",
          "icmp.ident", "icmp.seq"]
out = subprocess.run(
    ["tshark", "-r", sys.argv[1], "-T", "fields", "-E", "separator=|"]
    + [a for f in fields for a in ("-e", f)],
    capture_output=True, text=True, check=True,
).stdout


def first(value):
    return value.split(",")[0]


def last(value):
    return value.split(",")[-1]


ttl_of_probe, hops, end = {}, {}, None
for line in out.splitlines():
    src, ttl, icmp_type, icmp_code, port, ident, seq = line.split("|")
    if port:
        key = ("udp", int(last(port)))
    elif ident and seq:
        key = ("icmp", int(last(ident)), int(last(seq)))
    else:
        continue
    kind = (int(first(icmp_type)), int(first(icmp_code or "0"))) if icmp_type else None
    if kind is None or kind == (8, 0):
        ttl_of_probe[key] = int(first(ttl))
        hops.setdefault(ttl_of_probe[key], set())
        continue
    probe_ttl = ttl_of_probe.get(key)
    if probe_ttl is None or kind == (3, 4):
        continue
    hops[probe_ttl].add(first(src))
    if kind in ((3, 3), (0, 0)) and end is None:
        end = probe_ttl
for ttl in sorted(t for t in hops if end is None or t <= end):
    print(ttl, ",".join(sorted(hops[ttl])) or "*")
print("end", end if end is not None else "-")
