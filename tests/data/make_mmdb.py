#!/usr/bin/env python3
"""Writes tests/data/as-lab.mmdb, the .mmdb the AS tests read, with the
mmdb-writer package (pip install mmdb-writer netaddr): the lab's first
two hops' prefixes, one in GeoLite2-ASN's fields, one in IPinfo's.

    python3 tests/data/make_mmdb.py
"""
import os
from mmdb_writer import MMDBWriter
from netaddr import IPSet

w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN",
               languages=["en"], description="tracetcp lab owners")
transit = {"autonomous_system_number": 64501, "autonomous_system_organization": "LAB-TRANSIT"}
w.insert_network(IPSet(["198.18.1.0/24", "198.18.2.0/24", "2001:db8:1::/64", "2001:db8:2::/64"]), transit)
w.insert_network(IPSet(["198.18.0.0/24", "2001:db8::/64"]), {"asn": "AS64500", "name": "LAB-ACCESS", "country": "ZZ"})
w.to_db_file(os.path.join(os.path.dirname(os.path.abspath(__file__)), "as-lab.mmdb"))
