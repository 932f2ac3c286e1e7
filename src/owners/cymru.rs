//! The TXT format of Team Cymru's IP-to-ASN zones, which other zones
//! serve too (`--as-source dns:ORIGIN4,ORIGIN6,NAMES`): the name to ask
//! for an address (its reversed octets, or an IPv6 address's 32 nibbles,
//! under the origin zone) and for an AS (`AS13335.` under the names
//! zone), and the answers:
//!
//! ```text
//! "13335 | 1.1.1.0/24 | AU | apnic | 2011-08-11"        (origin)
//! "64500 64501 | 198.51.100.0/24 | ZZ | lab | ..."       (two origins)
//! "13335 | US | arin | 2010-07-14 | CLOUDFLARENET, US"   (name)
//! ```
//!
//! Owns the format; pure.

use crate::run::Origin;
use std::net::IpAddr;

/// The zones asked: Team Cymru's by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zones {
    pub origin4: String,
    pub origin6: String,
    pub names: String,
}

impl Default for Zones {
    fn default() -> Self {
        Zones {
            origin4: "origin.asn.cymru.com".into(),
            origin6: "origin6.asn.cymru.com".into(),
            names: "asn.cymru.com".into(),
        }
    }
}

impl Zones {
    /// The name whose TXT records tell who announces `addr`.
    pub fn origin_name(&self, addr: IpAddr) -> String {
        let zone = if addr.is_ipv4() {
            &self.origin4
        } else {
            &self.origin6
        };
        format!("{}.{zone}", crate::dns::reversed(addr))
    }

    /// The name whose TXT record tells an AS's name.
    pub fn as_name(&self, number: u32) -> String {
        format!("AS{number}.{}", self.names)
    }
}

fn fields(txt: &str) -> Vec<&str> {
    txt.split('|').map(str::trim).collect()
}

fn some(field: Option<&&str>) -> Option<String> {
    field.filter(|f| !f.is_empty()).map(|f| f.to_string())
}

/// The prefix length of "198.51.100.0/24" (0 when there is none).
fn prefix_len(prefix: &Option<String>) -> u8 {
    prefix
        .as_deref()
        .and_then(|p| p.split_once('/'))
        .and_then(|(_, l)| l.parse().ok())
        .unwrap_or(0)
}

/// The origins in one origin TXT answer; none if it is not of the format.
fn origin_answer(txt: &str) -> Vec<Origin> {
    let f = fields(txt);
    let Some(numbers) = f.first() else {
        return Vec::new();
    };
    let numbers: Option<Vec<u32>> = numbers
        .split_whitespace()
        .map(|n| n.trim_start_matches("AS").parse().ok())
        .collect();
    let Some(numbers) = numbers.filter(|n| !n.is_empty()) else {
        return Vec::new();
    };
    numbers
        .into_iter()
        .map(|number| Origin {
            number,
            prefix: some(f.get(1)),
            name: None,
            country: some(f.get(2)),
            registry: some(f.get(3)),
        })
        .collect()
}

/// The origins of an address from every TXT record of its origin name:
/// those of the most specific prefix (a zone may list the covering
/// prefixes too), sorted by number.
pub fn origins(records: &[String]) -> Vec<Origin> {
    let all: Vec<Origin> = records.iter().flat_map(|r| origin_answer(r)).collect();
    let longest = all.iter().map(|o| prefix_len(&o.prefix)).max().unwrap_or(0);
    let mut best: Vec<Origin> = all
        .into_iter()
        .filter(|o| prefix_len(&o.prefix) == longest)
        .collect();
    best.sort();
    best.dedup();
    best
}

/// The AS name in a names-zone TXT answer ("13335 | US | arin |
/// 2010-07-14 | CLOUDFLARENET, US" gives "CLOUDFLARENET, US").
pub fn as_name(records: &[String]) -> Option<String> {
    records.iter().find_map(|r| some(fields(r).get(4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_asked_are_cymru_s() {
        let z = Zones::default();
        assert_eq!(
            z.origin_name("1.1.1.9".parse().unwrap()),
            "9.1.1.1.origin.asn.cymru.com"
        );
        let v6 = z.origin_name("2606:4700::1111".parse().unwrap());
        assert!(v6.starts_with("1.1.1.1.0.0.0.0."), "{v6}");
        assert!(
            v6.ends_with("0.0.7.4.6.0.6.2.origin6.asn.cymru.com"),
            "{v6}"
        );
        assert_eq!(v6.split('.').count(), 32 + 4);
        assert_eq!(z.as_name(13335), "AS13335.asn.cymru.com");
    }

    #[test]
    fn origin_answers_are_read_with_every_origin_of_the_most_specific_prefix() {
        let one = origins(&["13335 | 1.1.1.0/24 | AU | apnic | 2011-08-11".into()]);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].number, 13335);
        assert_eq!(one[0].prefix.as_deref(), Some("1.1.1.0/24"));
        assert_eq!(one[0].country.as_deref(), Some("AU"));
        assert_eq!(one[0].registry.as_deref(), Some("apnic"));
        let two = origins(&[
            "64496 | 198.51.0.0/16 | ZZ | lab |".into(),
            "64501 64500 | 198.51.100.0/24 | ZZ | lab | 2026-01-01".into(),
        ]);
        let numbers: Vec<u32> = two.iter().map(|o| o.number).collect();
        assert_eq!(numbers, [64500, 64501]);
        assert!(origins(&["not | an | answer".into(), String::new()]).is_empty());
    }

    #[test]
    fn the_as_name_is_the_fifth_field() {
        let name = as_name(&["13335 | US | arin | 2010-07-14 | CLOUDFLARENET, US".into()]);
        assert_eq!(name.as_deref(), Some("CLOUDFLARENET, US"));
        assert_eq!(as_name(&["13335 | US".into()]), None);
    }
}
