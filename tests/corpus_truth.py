#!/usr/bin/env python3
"""The truth of a UDP traceroute capture, from the packets alone (tshark's
fields), never from what a tool printed: one line per probe TTL with the
addresses that answered it ("TTL ADDR,ADDR" or "TTL *"), then "end TTL"
for the first TTL the destination (or a port-unreachable) answered.
Answers are tied to probes by the destination port their quote holds
(traceroute and tracepath give each probe its own); "fragmentation
needed" answers are no hop's (the probe goes again smaller).

    python3 tests/corpus_truth.py CAPTURE
"""
import subprocess
import sys

fields = ["ip.src", "ip.ttl", "icmp.type", "icmp.code", "udp.dstport"]
out = subprocess.run(
    ["tshark", "-r", sys.argv[1], "-T", "fields", "-E", "separator=|"]
    + [a for f in fields for a in ("-e", f)],
    capture_output=True, text=True, check=True,
).stdout
ttl_of_port, hops, end = {}, {}, None
for line in out.splitlines():
    src, ttl, icmp_type, icmp_code, port = line.split("|")
    if not port:
        continue
    port = int(port.split(",")[-1])
    if not icmp_type:
        ttl_of_port[port] = int(ttl.split(",")[0])
        hops.setdefault(ttl_of_port[port], set())
        continue
    probe_ttl = ttl_of_port.get(port)
    kind = (int(icmp_type.split(",")[0]), int((icmp_code or "0").split(",")[0]))
    if probe_ttl is None or kind == (3, 4):
        continue
    hops[probe_ttl].add(src.split(",")[0])
    if kind == (3, 3) and end is None:
        end = probe_ttl
for ttl in sorted(t for t in hops if end is None or t <= end):
    print(ttl, ",".join(sorted(hops[ttl])) or "*")
print("end", end if end is not None else "-")
