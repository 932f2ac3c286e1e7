//! Who owns each hop: the autonomous systems that announce the addresses
//! that answered (`--as`), from DNS zones in Team Cymru's TXT format or
//! from a local database (`--as-source`). Look-ups run on a thread of
//! their own as addresses appear; a hop waits for them a bounded time,
//! and a source that is down costs at most its deadline and one line.
//!
//! Owns the sources and the look-up service; must not depend on the
//! engine or the reports.

pub mod cymru;
pub mod files;
pub mod special;

use crate::dns::client::{Answer, Client};
use crate::dns::lookups::Lookups;
use crate::run::Origin;
use cymru::Zones;
use files::Database;
use hickory_proto::rr::RecordType;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a batch of look-ups may take in all.
const BATCH_DEADLINE: Duration = Duration::from_secs(2);
/// How long a hop waits for its owners, counted from each look-up's start.
pub const MAX_WAIT: Duration = Duration::from_millis(2500);

/// Where owners are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Team Cymru's zones (the default): never asked about special-purpose
    /// addresses.
    Cymru,
    /// Zones of the user's that serve the same format: asked about every
    /// address.
    Dns(Zones),
    /// A local database.
    File(PathBuf),
}

impl Source {
    /// `cymru`, `dns:ORIGIN4,ORIGIN6,NAMES`, or a file's path.
    pub fn parse(text: &str) -> Result<Source, String> {
        if text == "cymru" {
            return Ok(Source::Cymru);
        }
        if let Some(zones) = text.strip_prefix("dns:") {
            let z: Vec<&str> = zones.split(',').map(str::trim).collect();
            return match z[..] {
                [o4, o6, names] if [o4, o6, names].iter().all(|z| !z.is_empty()) => {
                    Ok(Source::Dns(Zones {
                        origin4: o4.trim_end_matches('.').into(),
                        origin6: o6.trim_end_matches('.').into(),
                        names: names.trim_end_matches('.').into(),
                    }))
                }
                _ => Err(format!(
                    "'{text}' names no zones: give dns:ORIGIN4,ORIGIN6,NAMES"
                )),
            };
        }
        Ok(Source::File(PathBuf::from(text)))
    }

    /// Whether `addr` may be asked about: a public provider is never asked
    /// about special-purpose addresses (it leaks them and answers nothing).
    pub fn asks_about(&self, addr: IpAddr) -> bool {
        *self != Source::Cymru || !special::is_special(addr)
    }
}

/// The resolving side: a DNS client or a database.
enum Backend {
    Dns { client: Client, zones: Zones },
    File(Database),
}

/// What the look-ups remember between batches.
#[derive(Default)]
struct Cache {
    /// Prefixes whose origins are known ("198.18.0.0/24" and its origins):
    /// an address inside one needs no question.
    prefixes: Vec<(IpAddr, u8, Vec<Origin>)>,
    names: HashMap<u32, Option<String>>,
    /// Whether the source was found failing (said once).
    failing: bool,
    /// Whether it answered nothing at all of a whole batch: it is not
    /// asked again, so that a server that is down costs one deadline.
    down: bool,
}

/// The look-up service: `request` an address, `wait` for some, take what
/// was found with `owners`; clones share it.
#[derive(Clone)]
pub struct Owners {
    source: Arc<Source>,
    lookups: Lookups<Vec<Origin>>,
}

impl Owners {
    /// Starts the service for `source`, asking DNS zones through `server`.
    pub fn start(source: Source, server: SocketAddr) -> Result<Owners, String> {
        let backend = match &source {
            Source::File(path) => Backend::File(Database::open(path)?),
            Source::Cymru => Backend::Dns {
                client: client(server),
                zones: Zones::default(),
            },
            Source::Dns(zones) => Backend::Dns {
                client: client(server),
                zones: zones.clone(),
            },
        };
        let mut cache = Cache::default();
        let resolve = move |batch: Vec<IpAddr>| match &backend {
            Backend::File(db) => batch.iter().map(|&a| (a, db.lookup(a))).collect(),
            Backend::Dns { client, zones } => ask(client, zones, batch, &mut cache),
        };
        let lookups = Lookups::start("owners", MAX_WAIT, resolve)
            .map_err(|e| format!("cannot start the AS look-ups: {e}"))?;
        Ok(Owners {
            source: Arc::new(source),
            lookups,
        })
    }

    /// Starts looking `addr` up, unless that was done already; a public
    /// provider is never asked about a special-purpose address.
    pub fn request(&self, addr: IpAddr) {
        if self.source.asks_about(addr) {
            self.lookups.request(addr);
        } else {
            self.lookups.settle(addr, Vec::new());
        }
    }

    /// Waits until every one of `addrs` is looked up, or has waited
    /// `MAX_WAIT` since its look-up started.
    pub fn wait(&self, addrs: &[IpAddr]) {
        for &a in addrs {
            self.request(a);
        }
        self.lookups.wait(addrs);
    }

    /// Whether `wait` would return at once.
    pub fn ready(&self, addrs: &[IpAddr]) -> bool {
        for &a in addrs {
            self.request(a);
        }
        self.lookups.ready(addrs)
    }

    /// The owners found so far, by address (none for those without).
    pub fn owners(&self) -> HashMap<IpAddr, Vec<Origin>> {
        self.lookups
            .found()
            .into_iter()
            .filter(|(_, o)| !o.is_empty())
            .collect()
    }
}

fn client(server: SocketAddr) -> Client {
    Client {
        server,
        per_try: Duration::from_millis(700),
        tries: 3,
    }
}

/// Whether `addr` is inside `net`/`len`.
fn inside(addr: IpAddr, net: IpAddr, len: u8) -> bool {
    let bits = |a: IpAddr| match a {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32u32),
        IpAddr::V6(a) => (u128::from(a), 128u32),
    };
    let ((a, width), (n, net_width)) = (bits(addr), bits(net));
    if width != net_width || u32::from(len) > width {
        return false;
    }
    len == 0 || (a ^ n) >> (width - u32::from(len)) == 0
}

/// The owners of `batch` from DNS: known prefixes first, then one batch
/// of origin questions, then one of AS names for the numbers not named.
fn ask(
    client: &Client,
    zones: &Zones,
    batch: Vec<IpAddr>,
    cache: &mut Cache,
) -> Vec<(IpAddr, Vec<Origin>)> {
    let deadline = Instant::now() + BATCH_DEADLINE;
    let (mut done, mut asked) = (Vec::new(), Vec::new());
    for a in batch {
        match cache.prefixes.iter().find(|(n, l, _)| inside(a, *n, *l)) {
            Some((_, _, o)) => done.push((a, o.clone())),
            None if cache.down => done.push((a, Vec::new())),
            None => asked.push(a),
        }
    }
    let questions: Vec<_> = asked
        .iter()
        .map(|&a| (zones.origin_name(a), RecordType::TXT))
        .collect();
    let answers = client.ask(&questions, deadline);
    if answers
        .iter()
        .any(|a| matches!(a, Answer::Failed | Answer::Silent))
        && !cache.failing
    {
        cache.failing = true;
        eprintln!(
            "tracetcp: note: the DNS server {} did not answer every AS look-up in time",
            client.server
        );
    }
    if !answers.is_empty() && answers.iter().all(|a| *a == Answer::Silent) {
        cache.down = true;
    }
    let mut found: Vec<(IpAddr, Vec<Origin>)> = asked
        .iter()
        .zip(answers)
        .map(|(&a, answer)| match answer {
            Answer::Records(r) => (a, cymru::origins(&r)),
            _ => (a, Vec::new()),
        })
        .collect();
    name_them(client, zones, &mut found, cache, deadline);
    for (_, origins) in &found {
        let Some(prefix) = origins.first().and_then(|o| o.prefix.clone()) else {
            continue;
        };
        if let Some((net, len)) = prefix.split_once('/') {
            if let (Ok(net), Ok(len)) = (net.parse(), len.parse()) {
                cache.prefixes.push((net, len, origins.clone()));
            }
        }
    }
    done.extend(found);
    done
}

/// Gives the origins in `found` their AS names, asking for those not
/// known yet.
fn name_them(
    client: &Client,
    zones: &Zones,
    found: &mut [(IpAddr, Vec<Origin>)],
    cache: &mut Cache,
    deadline: Instant,
) {
    let mut unknown: Vec<u32> = found
        .iter()
        .flat_map(|(_, o)| o.iter().map(|o| o.number))
        .filter(|n| !cache.names.contains_key(n))
        .collect();
    unknown.sort();
    unknown.dedup();
    let questions: Vec<_> = unknown
        .iter()
        .map(|&n| (zones.as_name(n), RecordType::TXT))
        .collect();
    let answers = client.ask(&questions, deadline);
    for (n, answer) in unknown.into_iter().zip(answers) {
        let name = match answer {
            Answer::Records(r) => cymru::as_name(&r),
            _ => None,
        };
        cache.names.insert(n, name);
    }
    for origin in found.iter_mut().flat_map(|(_, o)| o.iter_mut()) {
        origin.name = cache.names.get(&origin.number).cloned().flatten();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_from_their_words() {
        assert_eq!(Source::parse("cymru"), Ok(Source::Cymru));
        let Ok(Source::Dns(z)) = Source::parse("dns:o4.lab,o6.lab.,names.lab") else {
            panic!("not dns")
        };
        assert_eq!(
            (z.origin4.as_str(), z.origin6.as_str(), z.names.as_str()),
            ("o4.lab", "o6.lab", "names.lab")
        );
        assert!(Source::parse("dns:o4.lab")
            .unwrap_err()
            .contains("dns:ORIGIN4,ORIGIN6,NAMES"));
        assert_eq!(
            Source::parse("/tmp/ip2asn.tsv"),
            Ok(Source::File("/tmp/ip2asn.tsv".into()))
        );
    }

    #[test]
    fn a_public_provider_is_never_asked_about_special_addresses() {
        let lab: IpAddr = "198.18.1.1".parse().unwrap();
        let public: IpAddr = "1.1.1.1".parse().unwrap();
        assert!(!Source::Cymru.asks_about(lab));
        assert!(Source::Cymru.asks_about(public));
        assert!(Source::Dns(Zones::default()).asks_about(lab));
        assert!(Source::File("x".into()).asks_about(lab));
    }

    #[test]
    fn an_address_inside_a_known_prefix_needs_no_question() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(inside(ip("198.18.1.9"), ip("198.18.0.0"), 15));
        assert!(!inside(ip("198.20.1.9"), ip("198.18.0.0"), 15));
        assert!(inside(ip("2001:db8:1::9"), ip("2001:db8::"), 32));
        assert!(!inside(ip("198.18.1.9"), ip("2001:db8::"), 32));
        assert!(!inside(ip("198.18.1.9"), ip("198.18.0.0"), 40));
    }
}
