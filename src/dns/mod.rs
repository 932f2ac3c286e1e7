//! Reverse names in the background: a look-up starts as soon as an
//! address answers, and a hop waits for its names only a short, bounded
//! time. Names come from /etc/hosts, else from PTR records asked in
//! batches through our DNS client (`client.rs`) of `--dns-server` or the
//! system's resolv.conf server (`conf.rs`).
//!
//! Owns reverse lookups (the only name resolution of a live run); must not
//! depend on the reports or the engine.

pub mod client;
pub mod conf;
pub mod lookups;

use crate::owners::Owners;
use crate::run::printable;
use crate::run::Names;
use hickory_proto::rr::RecordType;
use lookups::Lookups;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The labels of `addr` reversed, as reverse zones and Team Cymru's name
/// it: "2.0.18.198" (octets), or an IPv6 address's 32 nibbles.
pub fn reversed(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => {
            let [w, x, y, z] = a.octets();
            format!("{z}.{y}.{x}.{w}")
        }
        IpAddr::V6(a) => {
            let nibbles: Vec<String> = a
                .octets()
                .iter()
                .rev()
                .flat_map(|b| [b & 0xf, b >> 4])
                .map(|n| format!("{n:x}"))
                .collect();
            nibbles.join(".")
        }
    }
}

/// The name of `addr`'s PTR record.
pub fn ptr_name(addr: IpAddr) -> String {
    let zone = if addr.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    };
    format!("{}.{zone}", reversed(addr))
}

/// How long a hop may wait for its names, counted from each lookup's start.
pub const MAX_WAIT: Duration = Duration::from_millis(1000);

/// Reverse names and owners of the addresses seen, looked up in the
/// background (`lookups.rs`); clones share the look-ups.
#[derive(Clone)]
pub struct Resolver {
    /// None with -n.
    names: Option<Lookups<Option<String>>>,
    /// The owners of the addresses too (`--as`).
    owners: Option<Owners>,
}

impl Resolver {
    /// Names (unless not `enabled`) from /etc/hosts, else from `server`
    /// (`--dns-server`; the system's resolv.conf's without it).
    pub fn new(enabled: bool, server: Option<SocketAddr>) -> Self {
        let names = enabled.then(|| names_from(server)).flatten();
        Resolver {
            names,
            owners: None,
        }
    }

    /// Looks up the owners of the addresses too.
    pub fn with_owners(mut self, owners: Owners) -> Self {
        self.owners = Some(owners);
        self
    }

    /// `other`'s look-ups of owners, shared.
    pub fn with_owners_of(mut self, other: &Resolver) -> Self {
        self.owners = other.owners.clone();
        self
    }

    /// Starts looking `addr` up, unless that was done already.
    pub fn request(&self, addr: IpAddr) {
        if let Some(o) = &self.owners {
            o.request(addr);
        }
        if let Some(n) = &self.names {
            n.request(addr);
        }
    }

    /// Waits until every address is looked up or has waited `MAX_WAIT`
    /// (its owners, `owners::MAX_WAIT`).
    pub fn wait(&self, addrs: &[IpAddr]) {
        for &a in addrs {
            self.request(a);
        }
        if let Some(o) = &self.owners {
            o.wait(addrs);
        }
        if let Some(n) = &self.names {
            n.wait(addrs);
        }
    }

    /// Whether `wait` would return at once (the look-ups started if need
    /// be).
    pub fn ready(&self, addrs: &[IpAddr]) -> bool {
        self.owners.as_ref().is_none_or(|o| o.ready(addrs))
            && self.names.as_ref().is_none_or(|n| n.ready(addrs))
    }

    /// Every name (and owner) found so far.
    pub fn names(&self) -> Names {
        let mut names: Names = self
            .names
            .iter()
            .flat_map(Lookups::found)
            .filter_map(|(a, n)| Some((a, n?)))
            .collect();
        for (addr, origins) in self.owners.iter().flat_map(Owners::owners) {
            names.set_owners(addr, origins);
        }
        names
    }
}

/// The names in a hosts file's `text`: each address's first name.
fn hosts(text: &str) -> HashMap<IpAddr, String> {
    let mut names = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        if let (Some(addr), Some(name)) = (words.next(), words.next()) {
            if let Ok(addr) = addr.parse() {
                names.entry(addr).or_insert_with(|| name.to_string());
            }
        }
    }
    names
}

/// The names service: /etc/hosts first, then PTR questions in batches.
fn names_from(server: Option<SocketAddr>) -> Option<Lookups<Option<String>>> {
    let hosts = hosts(&std::fs::read_to_string("/etc/hosts").unwrap_or_default());
    let client = client::Client {
        server: conf::pick(server),
        per_try: Duration::from_millis(300),
        tries: 3,
    };
    let resolve = move |batch: Vec<IpAddr>| {
        let (known, asked): (Vec<IpAddr>, Vec<IpAddr>) =
            batch.into_iter().partition(|a| hosts.contains_key(a));
        let questions: Vec<_> = asked
            .iter()
            .map(|&a| (ptr_name(a), RecordType::PTR))
            .collect();
        let answers = client.ask(&questions, Instant::now() + MAX_WAIT);
        let mut found: Vec<(IpAddr, Option<String>)> = known
            .into_iter()
            .map(|a| (a, hosts.get(&a).cloned()))
            .collect();
        found.extend(asked.into_iter().zip(answers).map(|(a, answer)| {
            let name = match answer {
                client::Answer::Records(mut r) => r.pop(),
                _ => None,
            };
            (a, name)
        }));
        found
            .into_iter()
            .map(|(a, n)| {
                (
                    a,
                    n.filter(|n| n.parse::<IpAddr>().is_err())
                        .map(|n| printable(&n)),
                )
            })
            .collect()
    };
    Lookups::start("rdns", MAX_WAIT, resolve).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosts_file_gives_each_address_its_first_name() {
        let h = hosts("# lab\n198.18.0.2 r1.lab r1 # router\n198.18.0.2 other\n2001:db8::2\tr1v6.lab\nbad line\n");
        assert_eq!(
            h.get(&"198.18.0.2".parse().unwrap()).map(String::as_str),
            Some("r1.lab")
        );
        assert_eq!(
            h.get(&"2001:db8::2".parse().unwrap()).map(String::as_str),
            Some("r1v6.lab")
        );
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn reverse_names_of_both_families() {
        assert_eq!(
            ptr_name("198.18.0.2".parse().unwrap()),
            "2.0.18.198.in-addr.arpa"
        );
        let v6 = ptr_name("2001:db8::2".parse().unwrap());
        assert!(v6.starts_with("2.0.0.0.0.0.0.0."), "{v6}");
        assert!(v6.ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"), "{v6}");
        assert_eq!(v6.split('.').count(), 34);
    }
}
