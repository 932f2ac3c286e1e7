//! Reverse DNS in the background: a lookup starts as soon as an address
//! answers, and a hop waits for its names only a short, bounded time.
//!
//! Owns reverse lookups (the only name resolution of a live run); must not
//! depend on the reports or the engine.

pub mod client;
pub mod conf;

use crate::owners::Owners;
use crate::run::printable;
use crate::run::Names;
use hickory_proto::rr::RecordType;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Condvar, Mutex};
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

#[derive(Debug, Clone)]
enum Lookup {
    Pending(Instant),
    Done(Option<String>),
}

#[derive(Clone)]
pub struct Resolver {
    enabled: bool,
    state: Arc<(Mutex<HashMap<IpAddr, Lookup>>, Condvar)>,
    /// The owners of the addresses too (`--as`).
    owners: Option<Owners>,
    /// The server asked for names (`--dns-server`); without it, the
    /// system's resolver (which reads /etc/hosts too).
    server: Option<client::Client>,
}

impl Resolver {
    pub fn new(enabled: bool) -> Self {
        Resolver {
            enabled,
            state: Arc::new((Mutex::new(HashMap::new()), Condvar::new())),
            owners: None,
            server: None,
        }
    }

    /// This one's look-ups of owners (and name server), for a resolver
    /// that looks names up where `self` does not.
    pub fn with_owners_of(mut self, other: &Resolver) -> Self {
        self.owners = other.owners.clone();
        self.server = other.server.clone();
        self
    }

    /// Asks `server` for the names, with a deadline per question.
    pub fn with_server(mut self, server: std::net::SocketAddr) -> Self {
        self.server = Some(client::Client {
            server,
            per_try: Duration::from_millis(300),
            tries: 3,
        });
        self
    }

    /// Looks up the owners of the addresses too.
    pub fn with_owners(mut self, owners: Owners) -> Self {
        self.owners = Some(owners);
        self
    }

    /// Starts looking `addr` up, unless that was done already.
    pub fn request(&self, addr: IpAddr) {
        if let Some(o) = &self.owners {
            o.request(addr);
        }
        if !self.enabled {
            return;
        }
        let (lock, _) = &*self.state;
        let Ok(mut map) = lock.lock() else { return };
        if map.contains_key(&addr) {
            return;
        }
        map.insert(addr, Lookup::Pending(Instant::now()));
        let state = self.state.clone();
        let server = self.server.clone();
        let spawned = std::thread::Builder::new()
            .name("rdns".into())
            .spawn(move || {
                let name = match &server {
                    Some(c) => match c
                        .ask(
                            &[(ptr_name(addr), RecordType::PTR)],
                            Instant::now() + MAX_WAIT,
                        )
                        .pop()
                    {
                        Some(client::Answer::Records(mut r)) => r.pop(),
                        _ => None,
                    },
                    None => dns_lookup::lookup_addr(&addr).ok(),
                }
                .filter(|n| n.parse::<IpAddr>().is_err())
                .map(|n| printable(&n));
                let (lock, cvar) = &*state;
                if let Ok(mut map) = lock.lock() {
                    map.insert(addr, Lookup::Done(name));
                }
                cvar.notify_all();
            });
        if spawned.is_err() {
            map.insert(addr, Lookup::Done(None));
        }
    }

    /// Waits until every address is looked up or has waited `MAX_WAIT`
    /// (its owners, `owners::MAX_WAIT`).
    pub fn wait(&self, addrs: &[IpAddr]) {
        if let Some(o) = &self.owners {
            o.wait(addrs);
        }
        if !self.enabled {
            return;
        }
        for &a in addrs {
            self.request(a);
        }
        let (lock, cvar) = &*self.state;
        let Ok(mut map) = lock.lock() else { return };
        loop {
            let now = Instant::now();
            let until = addrs
                .iter()
                .filter_map(|a| match map.get(a) {
                    Some(Lookup::Pending(started)) => Some(*started + MAX_WAIT),
                    _ => None,
                })
                .filter(|&t| t > now)
                .max();
            let Some(until) = until else { return };
            map = match cvar.wait_timeout(map, until - now) {
                Ok((m, _)) => m,
                Err(_) => return,
            };
        }
    }

    /// Every name (and owner) found so far.
    pub fn names(&self) -> Names {
        let (lock, _) = &*self.state;
        let mut names: Names = lock
            .lock()
            .map(|map| {
                map.iter()
                    .filter_map(|(a, l)| match l {
                        Lookup::Done(Some(n)) => Some((*a, n.clone())),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (addr, origins) in self.owners.iter().flat_map(Owners::owners) {
            names.set_owners(addr, origins);
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
