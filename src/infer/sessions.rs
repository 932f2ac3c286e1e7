//! Probes grouped into sessions and answers matched to them, one packet
//! at a time: a session is the probes of one kind from one source to one
//! destination with small TTLs (at least two different ones), until it
//! pauses for longer than `GAP`. What a session found becomes the same
//! `TraceResult` a live run gives, with the settings it showed.

use super::packet::{classify, Answer, ProbeId, Seen};
use crate::engine::Settings;
use crate::time::Timestamp;
use crate::trace::{self, HopResult, Outcome, ProbeResult, TraceEnd, TraceResult, TraceSpec};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::Duration;
use tracetcp_strategies::{Flow, MplsStack, Protocol, ReplyKind};

/// Probes with a higher TTL are ordinary traffic, not a traceroute's.
pub const MAX_PROBE_TTL: u8 = 40;

/// A session of one kind toward one destination ends after this long
/// without a probe; the next probe starts another.
pub const GAP: Duration = Duration::from_secs(10);

/// A probe still waiting this long for its answer is lost.
const WAIT: Duration = Duration::from_secs(30);

/// Probes kept per hop at most (mtr's rounds: the figures need no more).
const PER_HOP: usize = 255;

/// One session, as found so far.
#[derive(Debug, Clone)]
pub struct Session {
    pub protocol: Protocol,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The destination port of its first probe (0 for ICMP), and the flow
    /// (source port or echo identifier) it started on.
    pub port: u16,
    pub flow: Flow,
    /// Whether its probes changed destination port (traceroute -U walks
    /// them) or source port (a flow per probe).
    pub ports_vary: bool,
    pub flows_vary: bool,
    pub first: Timestamp,
    pub last: Timestamp,
    pub hops: BTreeMap<u8, Vec<ProbeResult>>,
}

impl Session {
    /// The longest any answer took, the least a timeout can have been.
    fn slowest(&self) -> Duration {
        let rtts = self
            .hops
            .values()
            .flatten()
            .filter_map(|p| p.answer().map(|(_, t)| t));
        rtts.max().unwrap_or_default()
    }

    /// Probes at the TTL probed most.
    pub fn probes_per_hop(&self) -> usize {
        self.hops.values().map(Vec::len).max().unwrap_or(0)
    }

    /// The settings the session showed: TTLs, probes per hop, a timeout
    /// no shorter than its slowest answer.
    pub fn settings(&self) -> Settings {
        let first = self.hops.keys().next().copied().unwrap_or(1);
        let last = self.hops.keys().last().copied().unwrap_or(first);
        let slowest = self.slowest();
        let timeout = Duration::from_secs(slowest.as_secs() + 1);
        Settings {
            first_ttl: first,
            max_hops: last - first + 1,
            probes_per_hop: self.probes_per_hop().clamp(1, 16) as u8,
            timeout,
            pacing: false,
            ..Settings::default()
        }
    }

    /// What it found, as a trace: hops up to the destination's (or the
    /// first unreachable), how it ended.
    pub fn result(&self) -> TraceResult {
        // The first TTL with an answer that ends a trace; at it, the
        // destination's answer before an unreachable.
        let end = self
            .hops
            .iter()
            .find_map(|(&ttl, probes)| {
                let answers = || probes.iter().filter_map(|p| p.answer()).map(|(a, _)| *a);
                let a = answers()
                    .find(|a| a.kind.is_destination())
                    .or_else(|| answers().find(|a| a.kind.ends_trace()))?;
                Some(match a.kind {
                    ReplyKind::Unreachable(reason) => TraceEnd::Unreachable {
                        ttl,
                        reason,
                        from: a.from,
                    },
                    kind => TraceEnd::Reached {
                        ttl,
                        kind,
                        from: a.from,
                    },
                })
            })
            .unwrap_or(TraceEnd::MaxHops);
        let last = match end {
            TraceEnd::Reached { ttl, .. } | TraceEnd::Unreachable { ttl, .. } => ttl,
            _ => u8::MAX,
        };
        let first = self.hops.keys().next().copied().unwrap_or(1);
        let hops = (first..=self.hops.keys().last().copied().unwrap_or(first).min(last))
            .map(|ttl| HopResult {
                ttl,
                probes: self.hops.get(&ttl).cloned().unwrap_or_default(),
            })
            .collect();
        TraceResult::new(TraceSpec::new(self.protocol, self.port), hops, end)
    }
}

#[derive(Debug, Clone, Copy)]
struct Waiting {
    session: usize,
    ttl: u8,
    at: usize,
    ident: u16,
}

/// What a packet was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Probe {
        session: usize,
        ttl: u8,
    },
    Answer {
        session: usize,
        ttl: u8,
    },
    /// A packet no session has (yet).
    Nothing,
}

/// Sessions found so far in a stream of packets.
#[derive(Debug, Default)]
pub struct Finder {
    sessions: Vec<Session>,
    /// The open session of each (source, destination, kind).
    open: HashMap<(IpAddr, IpAddr, Protocol), usize>,
    /// Probes waiting for an answer, by what answers echo (several when a
    /// tool repeats its fields): session, TTL, position in the hop, IPv4
    /// identification.
    pending: HashMap<ProbeId, Vec<Waiting>>,
    seen: u64,
}

impl Finder {
    /// Takes in one IP packet captured at `ts`.
    pub fn packet(&mut self, ts: Timestamp, ip: &[u8]) -> Taken {
        self.seen += 1;
        if self.seen.is_multiple_of(4096) {
            self.expire(ts);
        }
        match classify(ip) {
            Seen::Probe(p) if (1..=MAX_PROBE_TTL).contains(&p.ttl) => {
                let session = self.session_for(ts, p.id);
                let s = &mut self.sessions[session];
                let hop = s.hops.entry(p.ttl).or_default();
                if hop.len() >= PER_HOP {
                    return Taken::Nothing;
                }
                hop.push(ProbeResult {
                    index: hop.len() as u8,
                    sent: ts,
                    flow: flow_of(&p.id),
                    fields: None,
                    size: None,
                    outcome: Outcome::Lost,
                });
                self.pending.entry(p.id).or_default().push(Waiting {
                    session,
                    ttl: p.ttl,
                    at: hop.len() - 1,
                    ident: p.ident,
                });
                Taken::Probe {
                    session,
                    ttl: p.ttl,
                }
            }
            Seen::Answer(a) => self.answer(ts, a),
            _ => Taken::Nothing,
        }
    }

    fn session_for(&mut self, ts: Timestamp, id: ProbeId) -> usize {
        let key = (id.src, id.dst, id.protocol);
        if let Some(&i) = self.open.get(&key) {
            let s = &mut self.sessions[i];
            if ts.since(s.last) <= GAP {
                s.last = ts;
                s.ports_vary |= id.port() != s.port;
                s.flows_vary |= flow_of(&id) != s.flow;
                return i;
            }
        }
        self.sessions.push(Session {
            protocol: id.protocol,
            src: id.src,
            dst: id.dst,
            port: id.port(),
            flow: flow_of(&id),
            ports_vary: false,
            flows_vary: false,
            first: ts,
            last: ts,
            hops: BTreeMap::new(),
        });
        self.open.insert(key, self.sessions.len() - 1);
        self.sessions.len() - 1
    }

    fn answer(&mut self, ts: Timestamp, a: Answer) -> Taken {
        // The probe the answer quotes (by its identification), else the
        // latest with those fields.
        let Some(waiting) = self.pending.get_mut(&a.id) else {
            return Taken::Nothing;
        };
        let which = match a.quoted_ident {
            Some(ident) => waiting.iter().rposition(|w| w.ident == ident),
            None => waiting.len().checked_sub(1),
        };
        let Some(Waiting {
            session, ttl, at, ..
        }) = which.map(|i| waiting.remove(i))
        else {
            return Taken::Nothing;
        };
        if waiting.is_empty() {
            self.pending.remove(&a.id);
        }
        let probe = &mut self.sessions[session].hops.get_mut(&ttl).expect("filed")[at];
        probe.outcome = Outcome::Answered {
            answer: trace::Answer {
                at: ts,
                from: a.from,
                kind: a.kind,
                icmp: a.icmp,
                reply_ttl: a.reply_ttl,
                quoted_ttl: a.quoted_ttl,
                quote: None,
                mpls: MplsStack::default(),
            },
            rtt: ts.since(probe.sent),
        };
        Taken::Answer { session, ttl }
    }

    /// Forgets probes that waited too long: they stay lost.
    fn expire(&mut self, now: Timestamp) {
        let sessions = &self.sessions;
        self.pending.retain(|_, waiting| {
            waiting.retain(|w| now.since(sessions[w.session].hops[&w.ttl][w.at].sent) < WAIT);
            !waiting.is_empty()
        });
    }

    /// The sessions that are traceroutes: probes at two TTLs at least.
    pub fn finish(self) -> Vec<Session> {
        self.sessions
            .into_iter()
            .filter(|s| s.hops.len() >= 2)
            .collect()
    }
}

fn flow_of(id: &ProbeId) -> Flow {
    match id.protocol {
        Protocol::Icmp => Flow::of_echo(id.a, id.b),
        _ => Flow::new(id.a),
    }
}

#[cfg(test)]
mod tests;
