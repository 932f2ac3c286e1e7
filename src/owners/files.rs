//! Local databases of who announces what, for hosts with no DNS to ask:
//!
//! - iptoasn's TSV: `range_start range_end AS country description` a
//!   line, IPv4 and IPv6 (AS 0: not routed);
//! - CAIDA's prefix-to-AS: `prefix length AS` a line, several origins
//!   joined by `_` (an AS set by `,`);
//! - MaxMind's or IPinfo's `.mmdb` (GeoLite2-ASN's
//!   `autonomous_system_number` / `_organization`; IPinfo's `asn`
//!   "AS13335", `name` or `as_name`, `country` or `country_code`).
//!
//! Which one a file is, is read from its content. Owns the reading and
//! the look-up; no I/O but opening the file.

use crate::run::Origin;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// A database, read.
pub enum Database {
    /// iptoasn: ranges that do not overlap, sorted by their start.
    Ranges(Vec<Range>),
    /// CAIDA: origins by (prefix length, network), longest match first.
    Prefixes(HashMap<(u8, u128), Vec<Origin>>),
    Mmdb(maxminddb::Reader<Vec<u8>>),
}

pub struct Range {
    start: u128,
    end: u128,
    origin: Origin,
}

/// An address as a number, IPv4 as IPv4-mapped IPv6.
fn number(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The bits of a prefix length, counted in the IPv4-mapped space.
fn mapped_len(addr: IpAddr, len: u8) -> u8 {
    if addr.is_ipv4() {
        len + 96
    } else {
        len
    }
}

fn mask(n: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        n & (u128::MAX << (128 - u32::from(len)))
    }
}

fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s != "None" && s != "Unknown").then(|| s.to_string())
}

/// Reads an iptoasn TSV; `None` if `content` is not one.
fn iptoasn(content: &str) -> Option<Vec<Range>> {
    let mut ranges = Vec::new();
    for line in content.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let (start, end, asn) = (
            f.first()?.parse::<IpAddr>().ok()?,
            f.get(1)?.parse::<IpAddr>().ok()?,
            f.get(2)?.parse::<u32>().ok()?,
        );
        if asn == 0 {
            continue;
        }
        ranges.push(Range {
            start: number(start),
            end: number(end),
            origin: Origin {
                number: asn,
                prefix: None,
                name: f.get(4).and_then(|s| text(s)),
                country: f.get(3).and_then(|s| text(s)),
                registry: None,
            },
        });
    }
    ranges.sort_by_key(|r| r.start);
    Some(ranges)
}

/// Reads a CAIDA prefix-to-AS file; `None` if `content` is not one.
fn caida(content: &str) -> Option<HashMap<(u8, u128), Vec<Origin>>> {
    let mut prefixes = HashMap::new();
    for line in content
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (addr, len) = (
            f.first()?.parse::<IpAddr>().ok()?,
            f.get(1)?.parse::<u8>().ok()?,
        );
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if len > max || f.len() != 3 {
            return None;
        }
        let origins: Option<Vec<Origin>> = f[2]
            .split(['_', ','])
            .map(|n| {
                Some(Origin {
                    number: n.parse().ok()?,
                    prefix: Some(format!("{addr}/{len}")),
                    name: None,
                    country: None,
                    registry: None,
                })
            })
            .collect();
        let len = mapped_len(addr, len);
        prefixes.insert((len, mask(number(addr), len)), origins?);
    }
    Some(prefixes)
}

impl Database {
    /// Reads the database at `path`.
    pub fn open(path: &Path) -> Result<Database, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if bytes.windows(14).any(|w| w == b"\xab\xcd\xefMaxMind.com") {
            return maxminddb::Reader::from_source(bytes)
                .map(Database::Mmdb)
                .map_err(|e| format!("{} is not a readable .mmdb database: {e}", path.display()));
        }
        let content = String::from_utf8_lossy(&bytes);
        if let Some(ranges) = iptoasn(&content) {
            return Ok(Database::Ranges(ranges));
        }
        if let Some(prefixes) = caida(&content) {
            return Ok(Database::Prefixes(prefixes));
        }
        Err(format!(
            "{} is no AS database tracetcp reads (iptoasn's TSV, CAIDA's prefix-to-AS, or an .mmdb)",
            path.display()
        ))
    }

    /// Who announces `addr`, according to the database.
    pub fn lookup(&self, addr: IpAddr) -> Vec<Origin> {
        let n = number(addr);
        match self {
            Database::Ranges(ranges) => {
                let at = ranges.partition_point(|r| r.start <= n);
                at.checked_sub(1)
                    .map(|i| &ranges[i])
                    .filter(|r| n <= r.end)
                    .map(|r| vec![r.origin.clone()])
                    .unwrap_or_default()
            }
            Database::Prefixes(prefixes) => (0..=128u8)
                .rev()
                .find_map(|len| prefixes.get(&(len, mask(n, len))))
                .cloned()
                .unwrap_or_default(),
            Database::Mmdb(reader) => mmdb(reader, addr).into_iter().collect(),
        }
    }
}

/// What an .mmdb record says of an address: GeoLite2-ASN's fields
/// (`autonomous_system_number`, `_organization`) or IPinfo's (`asn`
/// "AS13335", `name` or `as_name`, `country` or `country_code`), read as
/// whatever integer or string width the writer chose.
fn mmdb(reader: &maxminddb::Reader<Vec<u8>>, addr: IpAddr) -> Option<Origin> {
    let found = reader.lookup(addr).ok()?;
    let prefix = found.network().ok().map(|n| n.to_string());
    let r: serde_json::Value = found.decode().ok()??;
    let text = |k: &str| r[k].as_str().map(str::to_string);
    let number = r["autonomous_system_number"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .or_else(|| r["asn"].as_str()?.trim_start_matches("AS").parse().ok())?;
    Some(Origin {
        number,
        prefix,
        name: text("autonomous_system_organization")
            .or_else(|| text("name"))
            .or_else(|| text("as_name")),
        country: text("country_code").or_else(|| text("country")),
        registry: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn iptoasn_ranges_are_looked_up_for_both_families() {
        let tsv = "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n\
                   1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n\
                   198.18.1.0\t198.18.1.255\t64501\tZZ\tLAB-TRANSIT\n\
                   2001:db8:1::\t2001:db8:1:ffff:ffff:ffff:ffff:ffff\t64501\tZZ\tLAB-TRANSIT\n";
        let Some(ranges) = iptoasn(tsv) else {
            panic!("not read")
        };
        let db = Database::Ranges(ranges);
        let o = db.lookup(ip("198.18.1.7"));
        assert_eq!(
            (o[0].number, o[0].name.as_deref(), o[0].country.as_deref()),
            (64501, Some("LAB-TRANSIT"), Some("ZZ"))
        );
        assert_eq!(db.lookup(ip("2001:db8:1::9"))[0].number, 64501);
        assert_eq!(db.lookup(ip("1.0.0.1"))[0].number, 13335);
        assert!(db.lookup(ip("1.0.2.1")).is_empty(), "not routed");
        assert!(db.lookup(ip("198.18.2.1")).is_empty());
        assert!(db.lookup(ip("0.0.0.1")).is_empty());
    }

    #[test]
    fn caida_prefixes_match_longest_first_with_every_origin() {
        let text = "198.18.0.0\t15\t64500\n198.18.2.0\t24\t64502_64503\n2001:db8::\t32\t64500\n";
        assert!(iptoasn(text).is_none());
        let db = Database::Prefixes(caida(text).unwrap());
        assert_eq!(db.lookup(ip("198.18.1.1"))[0].number, 64500);
        let two: Vec<u32> = db
            .lookup(ip("198.18.2.9"))
            .iter()
            .map(|o| o.number)
            .collect();
        assert_eq!(two, [64502, 64503]);
        assert_eq!(
            db.lookup(ip("198.18.2.9"))[0].prefix.as_deref(),
            Some("198.18.2.0/24")
        );
        assert_eq!(db.lookup(ip("2001:db8:5::1"))[0].number, 64500);
        assert!(db.lookup(ip("10.0.0.1")).is_empty());
        assert!(caida("198.18.0.0\t33\t64500\n").is_none());
    }

    /// tests/data/as-lab.mmdb, written by mmdb-writer (make_mmdb.py).
    #[test]
    fn mmdb_databases_of_either_field_set_are_read() {
        let bytes = include_bytes!("../../tests/data/as-lab.mmdb").to_vec();
        let db = Database::Mmdb(maxminddb::Reader::from_source(bytes).unwrap());
        let transit = db.lookup(ip("198.18.1.9"));
        assert_eq!(
            (transit[0].number, transit[0].name.as_deref()),
            (64501, Some("LAB-TRANSIT"))
        );
        assert_eq!(transit[0].prefix.as_deref(), Some("198.18.1.0/24"));
        assert_eq!(db.lookup(ip("2001:db8:2::9"))[0].number, 64501);
        let access = db.lookup(ip("198.18.0.2"));
        assert_eq!(
            (
                access[0].number,
                access[0].name.as_deref(),
                access[0].country.as_deref()
            ),
            (64500, Some("LAB-ACCESS"), Some("ZZ"))
        );
        assert!(db.lookup(ip("10.0.0.1")).is_empty());
    }

    #[test]
    fn other_files_are_refused_with_their_name() {
        let dir = std::env::temp_dir().join(format!("tracetcp-asdb-{}", std::process::id()));
        std::fs::write(&dir, "hello world\n").unwrap();
        let Err(e) = Database::open(&dir) else {
            panic!("read")
        };
        assert!(e.contains("is no AS database"), "{e}");
        let _ = std::fs::remove_file(&dir);
    }
}
